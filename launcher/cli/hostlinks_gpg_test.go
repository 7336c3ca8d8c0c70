package cli

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sbxdev/sbx/launcher/agent"
)

func TestParseGPGDirs(t *testing.T) {
	out := []byte("sysconfdir:/etc/gnupg\nsocketdir:/run/user/1000/gnupg\nagent-extra-socket:/run/user/1000/gnupg/S.gpg-agent.extra\nhomedir:/home/ada/my%3agpg%25\n")
	d := parseGPGDirs(out)
	if d["homedir"] != "/home/ada/my:gpg%" || d["agent-extra-socket"] != "/run/user/1000/gnupg/S.gpg-agent.extra" {
		t.Fatalf("parseGPGDirs = %q", d)
	}
	if guestRuntime+"/"+gpgHomeDir != agent.GPGHome {
		t.Fatalf("GPGHome %s is not the runtime dir's %s", agent.GPGHome, gpgHomeDir)
	}
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// TestSyncGPGHome: the host's public keyring and trust database copied,
// copied again only when the host's changed, gpg.conf with no-autostart,
// the redirect for gpg without a socket directory, files the host no
// longer has removed.
func TestSyncGPGHome(t *testing.T) {
	host, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(host, "pubring.kbx"), []byte("keys v1"), 0o644)
	os.WriteFile(filepath.Join(host, "trustdb.gpg"), []byte("trust"), 0o600)
	os.WriteFile(filepath.Join(host, "gpg.conf"), []byte("default-key ABCD\n"), 0o600)
	if err := syncGPGHome(dir, host, "1", nil); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, gpgHomeDir)
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(home, name))
		return string(b)
	}
	if read("pubring.kbx") != "keys v1" || read("trustdb.gpg") != "trust" || read("S.gpg-agent") != agent.GPGRedirect {
		t.Fatalf("copies: %q %q %q", read("pubring.kbx"), read("trustdb.gpg"), read("S.gpg-agent"))
	}
	if c := read("gpg.conf"); !strings.HasPrefix(c, "default-key ABCD\n") || !strings.HasSuffix(c, "\nno-autostart\n") {
		t.Fatalf("gpg.conf %q", c)
	}
	if st, _ := os.Stat(home); st.Mode().Perm() != 0o700 {
		t.Fatalf("home mode %v", st.Mode())
	}
	before := inode(t, filepath.Join(home, "pubring.kbx"))
	if err := syncGPGHome(dir, host, "2", nil); err != nil {
		t.Fatal(err)
	}
	if inode(t, filepath.Join(home, "pubring.kbx")) != before {
		t.Fatal("an unchanged keyring was copied again")
	}
	// The host imports a key (a new file of the same size, a new time).
	os.WriteFile(filepath.Join(host, "pubring.kbx"), []byte("keys v2"), 0o644)
	later := time.Now().Add(time.Second)
	os.Chtimes(filepath.Join(host, "pubring.kbx"), later, later)
	os.Remove(filepath.Join(host, "gpg.conf"))
	if err := syncGPGHome(dir, host, "3", nil); err != nil {
		t.Fatal(err)
	}
	if read("pubring.kbx") != "keys v2" || read("gpg.conf") != gpgNoAutostart {
		t.Fatalf("after the host changed: %q %q", read("pubring.kbx"), read("gpg.conf"))
	}
	os.Remove(filepath.Join(host, "trustdb.gpg"))
	if err := syncGPGHome(dir, host, "4", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(home, "trustdb.gpg")); err == nil {
		t.Fatal("trustdb.gpg kept after the host's went")
	}
	if ents, _ := os.ReadDir(home); len(ents) != 3 {
		t.Fatalf("left in the home: %v", ents)
	}
}

// TestSyncGPGHomeHostile: what the machine's root put in the runtime
// directory is not followed out of it.
func TestSyncGPGHomeHostile(t *testing.T) {
	host, dir, outside := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(host, "pubring.kbx"), []byte("keys"), 0o644)
	os.Symlink(outside, filepath.Join(dir, gpgHomeDir))
	if err := syncGPGHome(dir, host, "1", nil); err == nil {
		t.Fatal("a link out of the runtime directory was used")
	}
	os.Remove(filepath.Join(dir, gpgHomeDir))
	os.Mkdir(filepath.Join(dir, gpgHomeDir), 0o700)
	os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dir, gpgHomeDir, "pubring.kbx"))
	if err := syncGPGHome(dir, host, "1", nil); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("wrote outside: %v", ents)
	}
	if st, _ := os.Lstat(filepath.Join(dir, gpgHomeDir, "pubring.kbx")); !st.Mode().IsRegular() {
		t.Fatalf("the link was kept: %v", st.Mode())
	}
}

// TestLinkGPG: GPGAgent=yes gives the command GNUPGHOME and its relay to
// the host's extra socket (found by the host's gpgconf); GPGAgent=no
// takes the copies away.
func TestLinkGPG(t *testing.T) {
	bin, host, dir := t.TempDir(), t.TempDir(), t.TempDir()
	extra := filepath.Join(host, "S.gpg-agent.extra")
	script := "#!/bin/sh\n[ \"$1\" = --list-dirs ] || exit 1\necho homedir:" + host + "\necho agent-extra-socket:" + extra + "\n"
	os.WriteFile(filepath.Join(bin, "gpgconf"), []byte(script), 0o755)
	t.Setenv("PATH", bin)
	os.WriteFile(filepath.Join(host, "pubring.kbx"), []byte("keys"), 0o644)
	l, err := net.Listen("unix", extra)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("OK host agent\n"))
			c.Close()
		}
	}()

	var errOut bytes.Buffer
	c := &Ctx{Env: Env{"PATH": bin}, IO: IO{Err: &errOut}}
	links := &hostLinks{env: map[string]string{}}
	c.linkGPG(links, dir, "42", true)
	if errOut.Len() != 0 || links.env["GNUPGHOME"] != "/run/sbx/gnupg" || links.env["SBX_GPG_AGENT"] != "/run/sbx/gpg-agent.42" {
		t.Fatalf("env %q, stderr %q", links.env, errOut.String())
	}
	conn, err := net.Dial("unix", filepath.Join(dir, "gpg-agent.42"))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := conn.Read(buf)
	conn.Close()
	if string(buf[:n]) != "OK host agent\n" {
		t.Fatalf("through the relay: %q", buf[:n])
	}
	links.close()
	if _, err := os.Lstat(filepath.Join(dir, "gpg-agent.42")); err == nil {
		t.Fatal("relay socket left after the command")
	}
	if _, err := os.Stat(filepath.Join(dir, gpgHomeDir, "pubring.kbx")); err != nil {
		t.Fatal(err)
	}
	c.linkGPG(&hostLinks{env: map[string]string{}}, dir, "43", false)
	if _, err := os.Lstat(filepath.Join(dir, gpgHomeDir)); err == nil {
		t.Fatal("GPGAgent=no kept the host's keyring in the runtime directory")
	}

	// Without gpgconf on the host: said, and nothing set.
	t.Setenv("PATH", t.TempDir())
	links = &hostLinks{env: map[string]string{}}
	c.linkGPG(links, dir, "44", true)
	if len(links.env) != 0 || !strings.Contains(errOut.String(), "install gnupg") {
		t.Fatalf("without gpgconf: env %q, stderr %q", links.env, errOut.String())
	}
}

// TestSyncGPGHomeKeyboxd: a host whose public keys live in keyboxd gets
// them exported, once per change of its database; an old pubring.kbx of
// the host is not copied (it would shadow them).
func TestSyncGPGHomeKeyboxd(t *testing.T) {
	host, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(host, "common.conf"), []byte("use-keyboxd\n"), 0o644)
	os.Mkdir(filepath.Join(host, "public-keys.d"), 0o700)
	db := filepath.Join(host, "public-keys.d", "pubring.db")
	os.WriteFile(db, []byte("sqlite"), 0o600)
	os.WriteFile(filepath.Join(host, "pubring.kbx"), []byte("stale"), 0o644)
	exports := 0
	export := func() ([]byte, error) { exports++; return []byte(fmt.Sprintf("exported %d", exports)), nil }
	home := filepath.Join(dir, gpgHomeDir)
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(home, name))
		if err != nil {
			return "none"
		}
		return string(b)
	}
	for i, want := range []string{"exported 1", "exported 1"} {
		if err := syncGPGHome(dir, host, fmt.Sprint(i), export); err != nil {
			t.Fatal(err)
		}
		if got := read("pubring.gpg"); got != want || read("pubring.kbx") != "none" {
			t.Fatalf("sync %d: pubring.gpg %q, pubring.kbx %q", i, got, read("pubring.kbx"))
		}
	}
	later := time.Now().Add(2 * time.Second)
	os.WriteFile(db+"-wal", []byte("new key"), 0o600)
	os.Chtimes(db+"-wal", later, later)
	if err := syncGPGHome(dir, host, "3", export); err != nil {
		t.Fatal(err)
	}
	if got := read("pubring.gpg"); got != "exported 2" {
		t.Fatalf("after the host imported a key: pubring.gpg %q", got)
	}
}
