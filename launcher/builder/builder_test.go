package builder

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/contract"
)

func validSpec() *Spec {
	return &Spec{
		Name: "proj-abc123", Project: "/home/ada/proj",
		User:         User{Name: "ada", UID: 1000, Group: "ada", GID: 1000, Home: "/home/ada", Shell: "/bin/bash"},
		Distribution: "debian", Release: "trixie", Mirror: "http://deb.debian.org/debian",
		Hostname: "proj-abc123", Arch: "amd64",
	}
}

func TestSpecRoundTripAndValidation(t *testing.T) {
	s := validSpec()
	arg, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := contract.DecodeSpec(arg)
	if err != nil || got.Name != s.Name || !reflect.DeepEqual(got.User, s.User) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	bad := map[string]func(s *Spec){
		"name with dot":     func(s *Spec) { s.Name = "a.b" },
		"relative project":  func(s *Spec) { s.Project = "proj" },
		"root project":      func(s *Spec) { s.Project = "/" },
		"unclean project":   func(s *Spec) { s.Project = "/home/ada/../etc" },
		"distribution":      func(s *Spec) { s.Distribution = "arch" },
		"release injection": func(s *Spec) { s.Release = "trixie main\ndeb" },
		"mirror scheme":     func(s *Spec) { s.Mirror = "ftp://x" },
		"package option":    func(s *Spec) { s.Packages = []string{"--allow-unauthenticated"} },
		"root user":         func(s *Spec) { s.User.UID = 0 },
		"user name":         func(s *Spec) { s.User.Name = "a:b" },
		"relative bind":     func(s *Spec) { s.Binds = []Bind{{Host: "x", Guest: "/x"}} },
	}
	for what, mutate := range bad {
		s := validSpec()
		mutate(s)
		if err := s.Validate(); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
}

func TestSourcesFollowTheSeed(t *testing.T) {
	s := validSpec()
	if got := sources(s); !slices.Equal(got, []string{
		"deb http://deb.debian.org/debian trixie main",
		"deb http://deb.debian.org/debian trixie-updates main",
	}) {
		t.Errorf("debian sources: %q", got)
	}
	s.Distribution, s.Release, s.Mirror = "ubuntu", "focal", "http://archive.ubuntu.com/ubuntu"
	got := strings.Join(sources(s), "\n")
	for _, want := range []string{"focal main universe", "focal-updates", "focal-security", "focal-backports"} {
		if !strings.Contains(got, want) {
			t.Errorf("ubuntu focal sources lack %q:\n%s", want, got)
		}
	}
	if !slices.Contains(baseSet(s), "ubuntu-keyring") {
		t.Errorf("ubuntu machines need ubuntu-keyring: %q", baseSet(s))
	}
	s.Release = "sid"
	s.Distribution = "debian"
	if got := sources(s); len(got) != 1 {
		t.Errorf("sid has no -updates suite: %q", got)
	}
}

func TestCacheKeyDependsOnTheBase(t *testing.T) {
	a, b := validSpec(), validSpec()
	b.Name, b.Project, b.User.Name = "other", "/srv/other", "bob" // not part of the base
	b.Packages = []string{"git"}                                  // layered onto the base with apt
	if cacheKey(a) != cacheKey(b) {
		t.Errorf("machines of the same base have different cache keys")
	}
	c := validSpec()
	c.Release = "bookworm"
	if cacheKey(a) == cacheKey(c) {
		t.Errorf("Release= does not change the cache key")
	}
}

// removeTree must never reach outside the tree: not through a symbolic
// link, and not into something mounted inside it.
func TestRemoveTreeStaysInside(t *testing.T) {
	outside := t.TempDir()
	keep := filepath.Join(outside, "keep")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tree := filepath.Join(t.TempDir(), "tree")
	os.MkdirAll(filepath.Join(tree, "etc", "mnt"), 0o755)
	os.Symlink(outside, filepath.Join(tree, "etc", "link"))
	os.Symlink(keep, filepath.Join(tree, "file-link"))
	mounted := false
	if os.Geteuid() == 0 {
		if err := bindMount(outside, filepath.Join(tree, "etc", "mnt")); err == nil {
			mounted = true
		}
	}
	if err := removeTree(tree); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tree); !os.IsNotExist(err) {
		t.Errorf("tree still there: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("a file outside the tree was removed (mounted=%v): %v", mounted, err)
	}
	// A symbolic link in place of the tree is refused, not followed.
	link := filepath.Join(t.TempDir(), "machine")
	os.Symlink(outside, link)
	if err := removeTree(link); err == nil {
		t.Errorf("removeTree followed a symbolic link")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("removeTree of a link removed its target: %v", err)
	}
}

func TestAppendOnceIsIdempotent(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "etc/bash.bashrc")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("# system\n"), 0o644)
	tr, err := openTree(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for range 3 {
		if err := tr.appendOnce("etc/bash.bashrc", bashHook); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(p)
	if n := strings.Count(string(data), hookMark); n != 1 {
		t.Errorf("hook added %d times:\n%s", n, data)
	}
}

// An imported archive's record keeps only what passes the rules, and
// never claims binds this host did not set up.
func TestImportedRecord(t *testing.T) {
	rec := contract.Record{
		Base:     contract.Base{Distribution: "debian", Release: "trixie", Mirror: "http://deb.debian.org/debian", Arch: "amd64"},
		Packages: []string{"git", "evil\x1b]0;x\x07"},
		Setup:    []string{"0123456789abcdef", "not-an-id"},
		Binds:    []Bind{{Host: "/etc"}},
		Hostname: "old", Shell: "/bin/zsh\x1b[2J",
	}
	got, err := contract.ParseRecord(importedRecord(rec.Encode(), "new"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Packages, []string{"git"}) || !slices.Equal(got.Setup, []string{"0123456789abcdef"}) ||
		got.Binds != nil || got.Hostname != "new" || got.Shell != "" || got.Base != rec.Base {
		t.Errorf("importedRecord = %+v", got)
	}
	if importedRecord("", "x") != "" || importedRecord("{not json", "x") != "" {
		t.Error("an archive without a valid record must give none")
	}
}
