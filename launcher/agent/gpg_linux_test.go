package agent

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestGPGRedirect: the redirect file and its directories are made for
// the user (mode 0700, its owner), a socket a local agent left there is
// replaced, and a link in the user's directories is never followed.
func TestGPGRedirect(t *testing.T) {
	base := t.TempDir()
	uid, gid := os.Getuid(), os.Getgid()
	rt := filepath.Join(base, strconv.Itoa(uid))
	if err := os.Mkdir(rt, 0o700); err != nil {
		t.Fatal(err)
	}
	u := guestUser{UID: uid, GID: gid, Name: "ada"}
	if uid == 0 {
		u.UID, u.GID = 0, 0 // root's commands are left alone; the rest needs a user
	}
	env := []string{"GNUPGHOME=" + GPGHome, GPGAgentVar + "=/run/sbx/gpg-agent.7"}
	if uid == 0 {
		if note := linkGPG(base, u, env); note != "" || exists(filepath.Join(rt, "gnupg")) {
			t.Fatalf("root's command: note %q", note)
		}
		// Exercise the user's path with root's own ids.
		if err := gpgRedirect(base, uid, gid); err != nil {
			t.Fatal(err)
		}
	} else if note := linkGPG(base, u, env); note != "" {
		t.Fatal(note)
	}
	sd := filepath.Join(rt, "gnupg", gpgSocketSubdir(GPGHome))
	for _, d := range []string{filepath.Dir(sd), sd} {
		if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
			t.Fatalf("%s: %v %v", d, st, err)
		}
	}
	file := filepath.Join(sd, "S.gpg-agent")
	if got, err := os.ReadFile(file); err != nil || string(got) != "%Assuan%\nsocket=${SBX_GPG_AGENT}\n" {
		t.Fatalf("redirect %q, %v", got, err)
	}

	// A local agent's socket in its place is replaced.
	os.Remove(file)
	l, err := net.Listen("unix", file)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if err := gpgRedirect(base, uid, gid); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); string(got) != GPGRedirect {
		t.Fatalf("after a socket: %q", got)
	}

	// Without a runtime directory (no session) gpg uses its home's
	// redirect: nothing to do, nothing to say.
	if err := gpgRedirect(base, uid+1, gid); err != nil {
		t.Fatalf("without a runtime directory: %v", err)
	}

	// Without both variables nothing is done.
	os.RemoveAll(filepath.Join(rt, "gnupg"))
	for _, e := range [][]string{{"GNUPGHOME=" + GPGHome}, {GPGAgentVar + "=/x"}, {"GNUPGHOME=/home/ada/.gnupg", GPGAgentVar + "=/x"}} {
		if linkGPG(base, guestUser{UID: uid + 1}, e); exists(filepath.Join(base, strconv.Itoa(uid+1))) || exists(filepath.Join(rt, "gnupg")) {
			t.Fatalf("%q made something", e)
		}
	}

	// A link where the user's gnupg directory should be is not followed.
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(rt, "gnupg")); err != nil {
		t.Fatal(err)
	}
	if err := gpgRedirect(base, uid, gid); err == nil {
		t.Fatal("followed a link at gnupg")
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Fatalf("wrote through a link: %v", ents)
	}
	if note := linkGPG(base, guestUser{UID: uid, GID: gid}, env); uid != 0 && !strings.Contains(note, "not reachable") {
		t.Fatalf("note %q", note)
	}
	// Nor is a directory someone else owns used.
	if uid == 0 {
		os.Remove(filepath.Join(rt, "gnupg"))
		os.Mkdir(filepath.Join(rt, "gnupg"), 0o700)
		os.Chown(filepath.Join(rt, "gnupg"), 4242, 4242)
		if err := gpgRedirect(base, uid, gid); err == nil || !strings.Contains(err.Error(), "owned by uid 4242") {
			t.Fatalf("someone else's gnupg directory: %v", err)
		}
	}
}
