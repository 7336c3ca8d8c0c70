package builder

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnsureRootDirRefusesForeignDirs: a lock or busy directory that
// someone else made (another owner, writable by others, a link) is
// refused, not used.
func TestEnsureRootDirRefusesForeignDirs(t *testing.T) {
	needRoot(t) // owners are the point
	base := t.TempDir()
	good := filepath.Join(base, "good")
	if err := ensureRootDir(good, 0o700); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(good); fi.Mode().Perm() != 0o700 {
		t.Errorf("made with mode %o", fi.Mode().Perm())
	}
	if err := ensureRootDir(good, 0o700); err != nil {
		t.Errorf("a second call: %v", err)
	}

	foreign := filepath.Join(base, "foreign")
	os.Mkdir(foreign, 0o700)
	os.Chown(foreign, 65534, 65534)
	if err := ensureRootDir(foreign, 0o700); err == nil || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("a directory of nobody's: %v", err)
	}

	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	if err := ensureRootDir(open, 0o700); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("a world-writable directory: %v", err)
	}

	link := filepath.Join(base, "link")
	os.Symlink(good, link)
	if err := ensureRootDir(link, 0o700); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("a symbolic link: %v", err)
	}
}

// TestEnsureBaseRefusesACraftedArchitecture: the architecture becomes part
// of the cache path; the root side checks it before any use.
func TestEnsureBaseRefusesACraftedArchitecture(t *testing.T) {
	for _, arch := range []string{"../../etc", "amd64/../../x", "", "a b"} {
		s := validSpec()
		s.Arch = arch
		if _, _, err := ensureBase(t.Context(), s, NewReporter(io.Discard)); err == nil || !strings.Contains(err.Error(), "invalid architecture") {
			t.Errorf("architecture %q: %v", arch, err)
		}
	}
}
