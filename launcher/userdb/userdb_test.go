package userdb

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fakeGetent installs a getent that answers from a case statement, as the
// C library would for users that only NSS knows (here "ldapuser").
func fakeGetent(t *testing.T) {
	t.Helper()
	script := `#!/bin/sh
[ "$2" = -- ] || exit 1
case "$1 $3" in
"passwd ldapuser"|"passwd 5000") echo 'ldapuser:*:5000:5000:LDAP User:/home/ldapuser:/bin/zsh' ;;
"group ldapgroup"|"group 5000") echo 'ldapgroup:*:5000:' ;;
"group sbx"|"group 990") echo 'sbx:x:990:alice,ldapuser' ;;
"initgroups ldapuser") echo 'ldapuser              5000 990 27' ;;
*) exit 2 ;;
esac
`
	p := filepath.Join(t.TempDir(), "getent")
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := getentPaths
	getentPaths = []string{filepath.Join(t.TempDir(), "missing"), p}
	t.Cleanup(func() { getentPaths = old })
}

func TestLooksUpThroughGetent(t *testing.T) {
	fakeGetent(t)
	want := User{Name: "ldapuser", UID: 5000, GID: 5000, Home: "/home/ldapuser", Shell: "/bin/zsh"}
	for _, lookup := range []func() (User, error){
		func() (User, error) { return LookupUser("ldapuser") },
		func() (User, error) { return LookupUID(5000) },
	} {
		if u, err := lookup(); err != nil || u != want {
			t.Errorf("lookup = %+v, %v; want %+v", u, err, want)
		}
	}
	if g, err := LookupGID(5000); err != nil || g.Name != "ldapgroup" || len(g.Members) != 0 {
		t.Errorf("LookupGID(5000) = %+v, %v", g, err)
	}
	if g, err := LookupGroup("sbx"); err != nil || g.GID != 990 || !slices.Equal(g.Members, []string{"alice", "ldapuser"}) {
		t.Errorf("LookupGroup(sbx) = %+v, %v", g, err)
	}
	if ids, err := GroupIDs(want); err != nil || !slices.Equal(ids, []int{5000, 990, 27}) {
		t.Errorf("GroupIDs = %v, %v; want [5000 990 27]", ids, err)
	}
	if _, err := LookupUser("nobody-here"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown user: %v, want ErrNotFound", err)
	}
	if _, err := LookupGroup("-x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a name like an option: %v, want ErrNotFound", err)
	}
}

func TestReadsTheFilesWithoutGetent(t *testing.T) {
	dir := t.TempDir()
	oldP, oldG, oldPaths := passwdFile, groupFile, getentPaths
	t.Cleanup(func() { passwdFile, groupFile, getentPaths = oldP, oldG, oldPaths })
	getentPaths = nil
	passwdFile, groupFile = filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	if err := os.WriteFile(passwdFile, []byte("# comment\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(groupFile, []byte("alice:x:1000:\nsbx:x:990:bob,alice\nusers:x:100:alice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := LookupUID(1000)
	if err != nil || u.Name != "alice" || u.Home != "/home/alice" {
		t.Fatalf("LookupUID(1000) = %+v, %v", u, err)
	}
	if ids, err := GroupIDs(u); err != nil || !slices.Equal(ids, []int{1000, 990, 100}) {
		t.Errorf("GroupIDs = %v, %v", ids, err)
	}
	if g, err := LookupGID(990); err != nil || g.Name != "sbx" {
		t.Errorf("LookupGID(990) = %+v, %v", g, err)
	}
	if _, err := LookupUser("carol"); !errors.Is(err, ErrNotFound) {
		t.Errorf("carol: %v, want ErrNotFound", err)
	}
}

// TestAgreesWithThisHost checks the real getent against the current user.
func TestAgreesWithThisHost(t *testing.T) {
	u, err := Current()
	if err != nil {
		t.Fatal(err)
	}
	if u.UID != os.Getuid() || u.Name == "" {
		t.Errorf("Current() = %+v for uid %d", u, os.Getuid())
	}
	ids, err := GroupIDs(u)
	if err != nil || len(ids) == 0 || ids[0] != u.GID {
		t.Errorf("GroupIDs(%s) = %v, %v", u.Name, ids, err)
	}
}
