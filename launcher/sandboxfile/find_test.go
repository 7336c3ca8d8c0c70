package sandboxfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "proj", FileName), "")
	write(t, filepath.Join(dir, "proj", "sub", "inner", FileName), "")
	deep := filepath.Join(dir, "proj", "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ from, want string }{
		{filepath.Join(dir, "proj"), filepath.Join(dir, "proj", FileName)},
		{deep, filepath.Join(dir, "proj", FileName)},
		{filepath.Join(dir, "proj", "sub", "inner"), filepath.Join(dir, "proj", "sub", "inner", FileName)},
		{filepath.Join(dir, "proj", "sub"), filepath.Join(dir, "proj", FileName)},
	}
	for _, tt := range tests {
		got, err := Find(tt.from)
		if err != nil || got != tt.want {
			t.Errorf("Find(%s) = %q, %v; want %q", tt.from, got, err, tt.want)
		}
	}
	if _, err := Find(dir); !errors.Is(err, ErrNotFound) {
		t.Errorf("Find outside any project: %v, want ErrNotFound", err)
	}
}

func TestLoadResolvesSymlinkedDir(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "real", FileName), "[Machine]\nPackages=git\n")
	if err := os.Symlink(filepath.Join(dir, "real"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	p, err := Find(filepath.Join(dir, "link"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Load(p, testHome)
	if err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(filepath.Join(dir, "real"))
	if f.Root != realDir || f.Path != filepath.Join(realDir, FileName) {
		t.Errorf("Root, Path = %q, %q; want the real path %q", f.Root, f.Path, realDir)
	}
	if string(f.Data) != "[Machine]\nPackages=git\n" || f.Machine.Packages[0] != "git" {
		t.Errorf("Data = %q, Packages = %v", f.Data, f.Machine.Packages)
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "target"), "")
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "target"), filepath.Join(dir, "a", FileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "a", FileName), testHome); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("Load of a symlinked .sandbox: %v, want a refusal", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "b", FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "b", FileName), testHome); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load of a directory: %v, want a refusal", err)
	}
	write(t, filepath.Join(dir, "c", FileName), strings.Repeat("#\n", maxFileSize))
	if _, err := Load(filepath.Join(dir, "c", FileName), testHome); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load of a huge file: %v, want a refusal", err)
	}
	write(t, filepath.Join(dir, "d", FileName), "[Machine]\nBogus=1\n")
	var pe *ParseError
	if _, err := Load(filepath.Join(dir, "d", FileName), testHome); !errors.As(err, &pe) || pe.Line != 2 {
		t.Errorf("Load of a bad file: %v, want a ParseError at line 2", err)
	}
}

func TestCheckRoot(t *testing.T) {
	home := t.TempDir()
	if err := CheckRoot(filepath.Join(home, "src", "proj"), home); err != nil {
		t.Errorf("CheckRoot(project) = %v", err)
	}
	if err := CheckRoot("/usr/local/src/proj", home); err != nil {
		t.Errorf("CheckRoot(/usr/local/src/proj) = %v", err)
	}
	for _, bad := range []string{"/", "/etc", "/usr", "/usr/", "/home", "/tmp", "/var", "/proc/1", "/run/user/1000/x", "/var/lib/machines/x", home, home + "/"} {
		err := CheckRoot(bad, home)
		if err == nil || !strings.Contains(err.Error(), "cannot be a project root") {
			t.Errorf("CheckRoot(%q) = %v, want a refusal", bad, err)
		}
	}
	// The home directory through a symlink is still the home directory.
	link := filepath.Join(t.TempDir(), "h")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	if err := CheckRoot(link, home); err == nil {
		t.Errorf("CheckRoot(symlink to home) = nil, want a refusal")
	}
}
