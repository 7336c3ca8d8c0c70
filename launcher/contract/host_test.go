package contract

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

func TestHostBindsFollowTheHost(t *testing.T) {
	home := t.TempDir()
	parse := func(src string) *Spec {
		f, err := sandboxfile.Parse(filepath.Join(home, "proj", ".sandbox"), []byte(src), home)
		if err != nil {
			t.Fatal(err)
		}
		return FromFile(f)
	}
	// Nothing to bind yet: no stale path.
	if b := parse("").Binds; len(b) != 0 {
		t.Fatalf("binds without a git config: %v", b)
	}
	before := parse("").Want()
	os.WriteFile(filepath.Join(home, ".gitconfig"), []byte("[user]\n\tname = Ada\n"), 0o644)
	os.MkdirAll(filepath.Join(home, ".config", "git"), 0o755)
	want := []layout.Bind{{Host: filepath.Join(home, ".gitconfig"), ReadOnly: true}, {Host: filepath.Join(home, ".config", "git"), ReadOnly: true}}
	s := parse("")
	if !reflect.DeepEqual(s.Binds, want) {
		t.Fatalf("binds = %v, want %v", s.Binds, want)
	}
	// A git config that appeared is a change the next use applies.
	if c := Diff(before, s.Want()); !strings.Contains(c.Summary(), "Bind= +"+filepath.Join(home, ".gitconfig")+" (read-only)") {
		t.Fatalf("Summary = %q", c.Summary())
	}
	if b := parse("[Host]\nGitConfig=no\n").Binds; len(b) != 0 {
		t.Fatalf("GitConfig=no still binds %v", b)
	}
}

func TestDevicesInTheRecord(t *testing.T) {
	f, err := sandboxfile.Parse("/home/ada/proj/.sandbox", []byte("[Host]\nDevice=/dev/kvm /dev/fuse\nDevice=/dev/fuse\n"), "/home/ada")
	if err != nil {
		t.Fatal(err)
	}
	s := FromFile(f)
	if !reflect.DeepEqual(s.Devices, []string{"/dev/fuse", "/dev/kvm"}) {
		t.Fatalf("Devices = %v", s.Devices)
	}
	none, _ := sandboxfile.Parse("/home/ada/proj/.sandbox", nil, "/home/ada")
	c := Diff(FromFile(none).Want(), s.Want())
	if c.Summary() != "Device= +/dev/fuse +/dev/kvm" || !c.InPlace() {
		t.Fatalf("Summary = %q, InPlace %v", c.Summary(), c.InPlace())
	}
	s.Devices = append(s.Devices, "/etc/shadow")
	s.User = User{Name: "ada", UID: 1000, Group: "ada", GID: 1000, Home: "/home/ada", Shell: "/bin/bash"}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "Device=") {
		t.Fatalf("Validate of a device outside /dev: %v", err)
	}
}
