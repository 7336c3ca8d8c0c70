package editor

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSnippetGolden: what `sbx editor NAME` prints is testdata/print/NAME.
func TestSnippetGolden(t *testing.T) {
	for _, name := range Names() {
		got, err := Snippet(name)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "print", name)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update and review the file)", err)
		}
		if got != string(want) {
			t.Errorf("%s snippet differs from %s:\n%s", name, path, got)
		}
	}
	if _, err := Snippet("notepad"); err == nil || !strings.Contains(err.Error(), "vscode, jetbrains, nvim, emacs") {
		t.Errorf("unknown editor: %v", err)
	}
}

// TestVSCodeSnippetIsWhatWriteWrites: the printed JSON is exactly what a
// write into an empty project produces, so the two cannot drift apart.
func TestVSCodeSnippetIsWhatWriteWrites(t *testing.T) {
	snip, _ := Snippet("vscode")
	dir := t.TempDir()
	if _, err := WriteVSCode(dir, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"settings.json", "tasks.json"} {
		b, err := os.ReadFile(filepath.Join(dir, ".vscode", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(snip, "// .vscode/"+f+":") || !strings.Contains(snip, string(b)) {
			t.Errorf("the printed snippet does not contain the written %s:\n%s", f, b)
		}
	}
}

func TestWriteVSCode(t *testing.T) {
	dir := t.TempDir()
	vs := filepath.Join(dir, ".vscode")
	os.Mkdir(vs, 0o755)
	settings := filepath.Join(vs, "settings.json")
	orig := "{\n  // mine\n  \"editor.fontSize\": 14\n}\n"
	if err := os.WriteFile(settings, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := WriteVSCode(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Created || !res[0].Changed || !res[1].Created || !res[1].Changed {
		t.Errorf("first write: %+v", res)
	}
	st, _ := os.Stat(settings)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("settings.json mode %v, want the original 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(settings)
	if !strings.HasPrefix(string(b), "{\n  // mine\n  \"editor.fontSize\": 14,\n") {
		t.Errorf("settings.json lost its start:\n%s", b)
	}
	res, err = WriteVSCode(dir, false)
	if err != nil || res[0].Changed || res[1].Changed {
		t.Errorf("second write changed something: %+v %v", res, err)
	}
	entries, _ := os.ReadDir(vs)
	if len(entries) != 2 {
		t.Errorf("temporary files left in .vscode: %v", entries)
	}
}

// TestWriteVSCodeRefusesWithoutTouching: a settings file that is not JSONC
// is left byte for byte, and tasks.json is not created either.
func TestWriteVSCodeRefusesWithoutTouching(t *testing.T) {
	dir := t.TempDir()
	vs := filepath.Join(dir, ".vscode")
	os.Mkdir(vs, 0o755)
	bad := "{\n  \"a\": 1\n  \"b\": 2\n}\n"
	os.WriteFile(filepath.Join(vs, "settings.json"), []byte(bad), 0o644)
	before, _ := os.Stat(filepath.Join(vs, "settings.json"))
	_, err := WriteVSCode(dir, false)
	if err == nil || !strings.Contains(err.Error(), "line 3, column 3") || !strings.Contains(err.Error(), "unchanged") {
		t.Fatalf("want a refusal naming line 3, column 3, got %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(vs, "settings.json"))
	after, _ := os.Stat(filepath.Join(vs, "settings.json"))
	if string(b) != bad || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the refused file was touched:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(vs, "tasks.json")); err == nil {
		t.Errorf("tasks.json was written although settings.json was refused")
	}
}

// TestWriteVSCodeSymlink: a settings.json that is a symlink (dotfiles)
// stays a symlink; its target gets the merge.
func TestWriteVSCodeSymlink(t *testing.T) {
	dir := t.TempDir()
	vs := filepath.Join(dir, ".vscode")
	os.Mkdir(vs, 0o755)
	target := filepath.Join(dir, "dotfiles-settings.json")
	os.WriteFile(target, []byte(`{"a": 1}`+"\n"), 0o644)
	link := filepath.Join(vs, "settings.json")
	os.Symlink(target, link)
	if _, err := WriteVSCode(dir, false); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("settings.json is no longer a symlink")
	}
	b, _ := os.ReadFile(target)
	if !bytes.Contains(b, []byte(ProfilesKey)) {
		t.Errorf("the target was not merged:\n%s", b)
	}
}

// FuzzParse: the parser agrees with encoding/json on plain JSON, and a
// merge into anything it accepts as an object gives a file it accepts again.
func FuzzParse(f *testing.F) {
	for _, c := range []string{`{}`, `{"a":[1,2,{"b":null}]}`, "// c\n{\"a\": 1,}", `[1]`, `"x"`, `{"a":1}}`, "{/*x*/}", `{"a": "\u00e9\n"}`} {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		v, err := Decode(src)
		if json.Valid(src) {
			var want any
			json.Unmarshal(src, &want)
			if err != nil || !reflect.DeepEqual(v, want) {
				t.Fatalf("valid JSON %q: got %#v, %v; want %#v", src, v, err, want)
			}
		}
		if err != nil {
			return
		}
		for _, merge := range []func([]byte) ([]byte, error){MergeVSCodeSettings, MergeVSCodeTasks} {
			out, err := merge(src)
			if err != nil {
				continue
			}
			if _, err := Decode(out); err != nil {
				t.Fatalf("merge of %q gave a file that does not parse: %v\n%s", src, err, out)
			}
		}
	})
}

// TestWriteVSCodeRefusesLinksOut: a repository's .vscode (or a file in
// it) that links out of the project is not written through.
func TestWriteVSCodeRefusesLinksOut(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	os.Symlink(outside, filepath.Join(dir, ".vscode"))
	if _, err := WriteVSCode(dir, false); err == nil || !strings.Contains(err.Error(), "out of the project") {
		t.Errorf("a linked .vscode: %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote out of the project: %v", entries)
	}

	dir2 := t.TempDir()
	os.Mkdir(filepath.Join(dir2, ".vscode"), 0o755)
	target := filepath.Join(outside, "settings.json")
	os.WriteFile(target, []byte("{}\n"), 0o644)
	os.Symlink(target, filepath.Join(dir2, ".vscode", "settings.json"))
	if _, err := WriteVSCode(dir2, false); err == nil || !strings.Contains(err.Error(), "out of the project") {
		t.Errorf("a linked settings.json: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "{}\n" {
		t.Errorf("the file out of the project changed: %q", b)
	}
}
