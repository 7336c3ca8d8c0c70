package editor

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files from what the code produces now")

// mergeCase is one testdata/merge/*.txtar: an input file ("settings.json"
// or "tasks.json", absent for a missing file) and either the golden output
// ("….golden") or the error the merge must give ("error", a substring).
type mergeCase struct {
	path    string
	arch    *txtar.Archive
	name    string // settings.json or tasks.json
	input   []byte
	exists  bool
	golden  []byte
	wantErr string
}

func loadCases(t *testing.T) []*mergeCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "merge", "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden cases in testdata/merge: %v", err)
	}
	var cases []*mergeCase
	for _, p := range paths {
		a, err := txtar.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		c := &mergeCase{path: p, arch: a, name: strings.TrimSpace(string(a.Comment))}
		if c.name != "settings.json" && c.name != "tasks.json" {
			t.Fatalf("%s: the comment must name the file (settings.json or tasks.json), got %q", p, c.name)
		}
		for _, f := range a.Files {
			switch f.Name {
			case c.name:
				c.input, c.exists = unescapeCR(f.Data), true
			case c.name + ".golden":
				c.golden = unescapeCR(f.Data)
			case "error":
				c.wantErr = strings.TrimSpace(string(f.Data))
			default:
				t.Fatalf("%s: unexpected section %q", p, f.Name)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// txtar cannot hold a carriage return visibly: cases write it as <CR>.
func unescapeCR(b []byte) []byte { return bytes.ReplaceAll(b, []byte("<CR>"), []byte("\r")) }
func escapeCR(b []byte) []byte   { return bytes.ReplaceAll(b, []byte("\r"), []byte("<CR>")) }

func mergeFor(name string) func([]byte) ([]byte, error) {
	if name == "tasks.json" {
		return MergeVSCodeTasks
	}
	return MergeVSCodeSettings
}

// TestMergeGolden: each case's output is byte for byte its golden file, or
// the merge fails with the expected error.
func TestMergeGolden(t *testing.T) {
	for _, c := range loadCases(t) {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			got, err := mergeFor(c.name)(c.input)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error with %q, got %v\n%s", c.wantErr, err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				c.setGolden(t, got)
				return
			}
			if c.golden == nil {
				t.Fatalf("no %s.golden section; run go test -update and review it", c.name)
			}
			if !bytes.Equal(got, c.golden) {
				t.Errorf("merged %s differs from the golden file\n--- got:\n%s\n--- want:\n%s", c.name, got, c.golden)
			}
		})
	}
}

func (c *mergeCase) setGolden(t *testing.T, got []byte) {
	t.Helper()
	var files []txtar.File
	for _, f := range c.arch.Files {
		if f.Name != c.name+".golden" {
			files = append(files, f)
		}
	}
	c.arch.Files = append(files, txtar.File{Name: c.name + ".golden", Data: escapeCR(got)})
	if err := os.WriteFile(c.path, txtar.Format(c.arch), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMergeProperties: whatever the golden files say, every merge keeps
// each key and comment of the input, sets exactly sbx's values, and is
// idempotent.
func TestMergeProperties(t *testing.T) {
	for _, c := range loadCases(t) {
		if c.wantErr != "" {
			continue
		}
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			merge := mergeFor(c.name)
			got, err := merge(c.input)
			if err != nil {
				t.Fatal(err)
			}
			again, err := merge(got)
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("a second merge changed the file (err %v):\n%s", err, again)
			}
			for _, cm := range comments(c.input) {
				if !bytes.Contains(got, cm) {
					t.Errorf("comment %q is gone", cm)
				}
			}
			if bytes.HasPrefix(c.input, []byte(bom)) != bytes.HasPrefix(got, []byte(bom)) {
				t.Errorf("byte-order mark not kept")
			}
			if bytes.Contains(c.input, []byte("\r\n")) && bytes.Count(got, []byte("\n")) != bytes.Count(got, []byte("\r\n")) {
				t.Errorf("CRLF file got LF-only lines:\n%q", got)
			}
			before, err := Decode(c.input)
			if err != nil {
				t.Fatal(err)
			}
			after, err := Decode(got)
			if err != nil {
				t.Fatalf("merged file does not parse: %v\n%s", err, got)
			}
			if c.name == "settings.json" {
				checkSettings(t, before, after)
			} else {
				checkTasks(t, before, after)
			}
		})
	}
}

var commentRE = regexp.MustCompile(`(?s)//[^\n]*|/\*.*?\*/`)

func comments(src []byte) [][]byte {
	var out [][]byte
	for _, m := range commentRE.FindAll(src, -1) {
		out = append(out, bytes.TrimRight(m, "\r"))
	}
	return out
}

// plainOf is what sbx's own values mean as plain JSON.
func plainOf(t *testing.T, v any) any {
	t.Helper()
	d := newDoc(nil)
	p, err := Decode([]byte(d.format(v, "")))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkSettings(t *testing.T, before, after any) {
	t.Helper()
	a, _ := after.(map[string]any)
	profiles, _ := a[ProfilesKey].(map[string]any)
	if !reflect.DeepEqual(profiles[ProfileName], plainOf(t, vscodeProfile)) {
		t.Errorf("sbx profile is %#v", profiles[ProfileName])
	}
	// The user's default profile stays; sbx's is the default only where
	// none was set.
	b0, _ := before.(map[string]any)
	if want, set := b0[DefaultProfileKey]; set && !reflect.DeepEqual(a[DefaultProfileKey], want) {
		t.Errorf("the user's default profile %#v became %#v", want, a[DefaultProfileKey])
	} else if !set && a[DefaultProfileKey] != ProfileName {
		t.Errorf("default profile is %#v, want sbx where none was set", a[DefaultProfileKey])
	}
	// Take sbx's values out of both: what is left must be equal.
	b, _ := before.(map[string]any)
	b = clone(b)
	a = clone(a)
	delete(b, DefaultProfileKey)
	delete(a, DefaultProfileKey)
	if bp, ok := b[ProfilesKey].(map[string]any); ok {
		bp = clone(bp)
		delete(bp, ProfileName)
		b[ProfilesKey] = bp
	} else {
		b[ProfilesKey] = map[string]any{}
	}
	ap := clone(profiles)
	delete(ap, ProfileName)
	a[ProfilesKey] = ap
	if !reflect.DeepEqual(a, b) {
		t.Errorf("keys other than sbx's changed:\nbefore %#v\nafter  %#v", b, a)
	}
}

func checkTasks(t *testing.T, before, after any) {
	t.Helper()
	a, _ := after.(map[string]any)
	b, _ := before.(map[string]any)
	a, b = clone(a), clone(b)
	if a["version"] == nil {
		t.Errorf("no version")
	}
	if b["version"] == nil {
		delete(a, "version")
	}
	var ours int
	var rest []any
	for _, task := range a["tasks"].([]any) {
		if m, ok := task.(map[string]any); ok && m["label"] == TaskLabel {
			ours++
			if !reflect.DeepEqual(task, plainOf(t, vscodeTask)) {
				t.Errorf("sbx task is %#v", task)
			}
			continue
		}
		rest = append(rest, task)
	}
	if ours != 1 {
		t.Errorf("%d tasks labelled %q, want 1", ours, TaskLabel)
	}
	var brest []any
	if bt, ok := b["tasks"].([]any); ok {
		for _, task := range bt {
			if m, ok := task.(map[string]any); !ok || m["label"] != TaskLabel {
				brest = append(brest, task)
			}
		}
	}
	a["tasks"], b["tasks"] = rest, brest
	if !reflect.DeepEqual(a, b) {
		t.Errorf("other tasks or keys changed:\nbefore %#v\nafter  %#v", b, a)
	}
}

func clone(m map[string]any) map[string]any {
	c := map[string]any{}
	for k, v := range m {
		c[k] = v
	}
	return c
}

// TestMergeKeepsUsersDefaultProfile: a default profile the user chose stays
// (sbx is added beside it); --default replaces it.
func TestMergeKeepsUsersDefaultProfile(t *testing.T) {
	src := []byte("{\n  \"terminal.integrated.defaultProfile.linux\": \"zsh\"\n}\n")
	got, err := MergeVSCodeSettings(src)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := Decode(got)
	m := v.(map[string]any)
	if m[DefaultProfileKey] != "zsh" {
		t.Errorf("the user's default became %#v:\n%s", m[DefaultProfileKey], got)
	}
	if _, ok := m[ProfilesKey].(map[string]any)[ProfileName]; !ok {
		t.Errorf("no sbx profile added:\n%s", got)
	}
	if OtherDefaultProfile(got) != "zsh" {
		t.Errorf("OtherDefaultProfile = %q, want zsh", OtherDefaultProfile(got))
	}
	forced, err := MergeVSCodeSettingsDefault(src)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := Decode(forced); v.(map[string]any)[DefaultProfileKey] != ProfileName {
		t.Errorf("--default did not make sbx the default:\n%s", forced)
	}
	if OtherDefaultProfile(forced) != "" {
		t.Errorf("OtherDefaultProfile of sbx's default = %q", OtherDefaultProfile(forced))
	}
}
