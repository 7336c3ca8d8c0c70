package sandboxfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDetectProjectKinds: each kind of project gets the packages (and
// Setup=/Environment=) its own build needs, and the written file parses to
// exactly those.
func TestDetectProjectKinds(t *testing.T) {
	cases := []struct {
		name     string
		files    map[string]string // path → content; a trailing / makes a directory
		packages []string
		setup    [][]string
		env      []string
	}{
		{"make", map[string]string{"Makefile": "all:\n"}, []string{"build-essential"}, nil, nil},
		{"configure", map[string]string{"configure": "#!/bin/sh\n", "Makefile.in": ""}, []string{"build-essential"}, nil, nil},
		{"cmake", map[string]string{"CMakeLists.txt": "", "Makefile": ""}, []string{"cmake", "build-essential"}, nil, nil},
		{"go current", map[string]string{"go.mod": "module x\n\ngo 1.22\n"}, []string{"golang-go"}, nil, nil},
		{"go newer than trixie", map[string]string{"go.mod": "module x\n\ngo 1.26.1\n"}, []string{"golang-go"}, nil, []string{"GOTOOLCHAIN=auto"}},
		{"rust", map[string]string{"Cargo.toml": "[package]\n"}, []string{"cargo", "rustc"}, nil, nil},
		{"node", map[string]string{"package.json": "{}"}, []string{"nodejs", "npm"}, nil, nil},
		{"pyproject", map[string]string{"pyproject.toml": ""}, []string{"python3", "python3-venv", "python3-pip"}, nil, nil},
		{"requirements", map[string]string{"requirements.txt": "", "pyproject.toml": ""}, []string{"python3", "python3-venv", "python3-pip"}, nil, nil},
		{"debian", map[string]string{"debian/control": "Source: x\n", "Makefile": ""},
			[]string{"build-essential", "devscripts", "equivs"},
			[][]string{{"sh", "-c", "apt-get update && apt-get build-dep -y ./"}}, nil},
		{"git", map[string]string{".git/": ""}, []string{"git"}, nil, nil},
		{"c with git", map[string]string{"Makefile": "", ".git/": ""}, []string{"build-essential", "git"}, nil, nil},
		{"unknown", map[string]string{"README": "hello"}, nil, nil, nil},
		{"debian without control", map[string]string{"debian/": ""}, nil, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			for p, content := range c.files {
				full := filepath.Join(root, p)
				if strings.HasSuffix(p, "/") {
					if err := os.MkdirAll(full, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			d := Detect(root)
			tpl := TemplateFor(root, d)
			f, err := Parse(root+"/.sandbox", []byte(tpl), testHome)
			if err != nil {
				t.Fatalf("the written file does not parse: %v\n%s", err, tpl)
			}
			if !reflect.DeepEqual(f.Machine.Packages, c.packages) {
				t.Errorf("Packages= %q, want %q", f.Machine.Packages, c.packages)
			}
			if !reflect.DeepEqual(f.Exec.Setup, c.setup) {
				t.Errorf("Setup= %q, want %q", f.Exec.Setup, c.setup)
			}
			if !reflect.DeepEqual(f.Exec.Environment, c.env) {
				t.Errorf("Environment= %q, want %q", f.Exec.Environment, c.env)
			}
			// Each choice says why, in the file itself.
			for _, n := range d {
				if !strings.Contains(tpl, "#   "+n.Why+": ") {
					t.Errorf("the file does not say why (%s):\n%s", n.Why, tpl)
				}
			}
			if len(d) == 0 && tpl != Template(root) {
				t.Errorf("an unknown project does not get the commented template")
			}
		})
	}
}

func TestGoModVersion(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]goVersion{
		"module x\ngo 1.21\n":                      {1, 21},
		"// c\nmodule x\n\ngo 1.26.0\ntoolchain x": {1, 26},
		"module x\n":                               {},
	} {
		p := filepath.Join(dir, "go.mod")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, ok := goModVersion(p)
		if got != want || ok != (want != goVersion{}) {
			t.Errorf("goModVersion(%q) = %v %v, want %v", content, got, ok, want)
		}
	}
}
