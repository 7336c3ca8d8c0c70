package sandboxfile

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDefaultName(t *testing.T) {
	re := regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	tests := []struct{ root, prefix string }{
		{"/src/myproj", "myproj-"},
		{"/src/My Project.v2", "my-project-v2-"},
		{"/src/__x__", "x-"},
		{"/src/日本", "sbx-"},
		{"/", "sbx-"},
		{"/src/" + strings.Repeat("ab-", 40), "ab-ab-"},
	}
	for _, tt := range tests {
		got := DefaultName(tt.root)
		if !strings.HasPrefix(got, tt.prefix) || !re.MatchString(got) || len(got) > 64 {
			t.Errorf("DefaultName(%q) = %q, want a valid name starting with %q", tt.root, got, tt.prefix)
		}
		if err := ValidName(got); err != nil {
			t.Errorf("ValidName(DefaultName(%q)) = %v", tt.root, err)
		}
	}
	if a, b := DefaultName("/a/proj"), DefaultName("/b/proj"); a == b {
		t.Errorf("two projects named proj share the machine name %q", a)
	}
	if a, b := DefaultName("/a/proj"), DefaultName("/a/proj/"); a != b {
		t.Errorf("DefaultName depends on a trailing slash: %q vs %q", a, b)
	}
}

func TestDefaultNameResolvesSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if a, b := DefaultName(real), DefaultName(link); a != b {
		t.Errorf("DefaultName(real) = %q, DefaultName(link) = %q; want the same", a, b)
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"a", "proj-1", "0", strings.Repeat("a", 64)} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "a-", "A", "a.b", "a_b", "a b", strings.Repeat("a", 65), ".host"} {
		if ValidName(bad) == nil {
			t.Errorf("ValidName(%q) = nil, want an error", bad)
		}
	}
}

func TestValidHostname(t *testing.T) {
	for _, ok := range []string{"a", "Web.local", "x-1.y-2"} {
		if err := ValidHostname(ok); err != nil {
			t.Errorf("ValidHostname(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "a.", "-a", "a..b", "a_b", strings.Repeat("a", 65)} {
		if ValidHostname(bad) == nil {
			t.Errorf("ValidHostname(%q) = nil, want an error", bad)
		}
	}
}

func TestTemplateParsesToDefaults(t *testing.T) {
	root := "/src/proj"
	tpl := Template(root)
	f, err := Parse(root+"/.sandbox", []byte(tpl), testHome)
	if err != nil {
		t.Fatalf("the template does not parse: %v", err)
	}
	def, _ := Parse(root+"/.sandbox", nil, testHome)
	if f.Machine.Name != def.Machine.Name || len(f.Machine.Packages) != 0 || len(f.Exec.Setup) != 0 || len(f.Files.Binds) != 0 {
		t.Errorf("the template sets something: %+v", f)
	}
	// Every key is explained, commented out: uncommenting "# Key=" lines
	// must give a file that parses too.
	for _, k := range keys {
		if !strings.Contains(tpl, "# "+k.name+"=") {
			t.Errorf("template does not show %s=", k.name)
		}
	}
	uncommented := regexp.MustCompile(`(?m)^# ([A-Za-z]+=)`).ReplaceAllString(tpl, "$1")
	if _, err := Parse(root+"/.sandbox", []byte(uncommented), testHome); err != nil {
		t.Errorf("the template's examples do not parse once uncommented: %v", err)
	}
	if !strings.Contains(tpl, DefaultName(root)) {
		t.Error("template does not show the default machine name")
	}
}
