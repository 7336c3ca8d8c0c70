package cli

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"
	"testing"
)

func TestHostLinksApply(t *testing.T) {
	l := &hostLinks{env: map[string]string{"SSH_AUTH_SOCK": "/run/sbx/ssh-agent.1", "DISPLAY": ":0"}}
	env := []string{"DISPLAY=:9", "LANG=C.UTF-8", "SSH_AUTH_SOCK=/tmp/ssh-x/agent.1"}
	got := l.apply(env, []string{"DISPLAY=:9"})
	sort.Strings(got)
	// PassEnvironment=SSH_AUTH_SOCK would hand in the host's path, useless
	// inside: the relay wins; -e DISPLAY=:9 wins over the link.
	want := []string{"DISPLAY=:9", "LANG=C.UTF-8", "SSH_AUTH_SOCK=/run/sbx/ssh-agent.1"}
	if !slices.Equal(got, want) {
		t.Fatalf("apply = %q, want %q", got, want)
	}
}

func xauthEntry(family uint16, fields ...string) []byte {
	b := binary.BigEndian.AppendUint16(nil, family)
	for _, f := range fields {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

func TestWildXauth(t *testing.T) {
	local := xauthEntry(xauthFamilyLocal, "workstation", "0", "MIT-MAGIC-COOKIE-1", "0123456789abcdef")
	inet := xauthEntry(0, "\x7f\x00\x00\x01", "1", "MIT-MAGIC-COOKIE-1", "fedcba9876543210")
	out, err := wildXauth(append(append([]byte{}, local...), inet...))
	if err != nil {
		t.Fatal(err)
	}
	want := append(xauthEntry(xauthFamilyWild, "workstation", "0", "MIT-MAGIC-COOKIE-1", "0123456789abcdef"), inet...)
	if !bytes.Equal(out, want) {
		t.Fatalf("wildXauth = %x\nwant %x", out, want)
	}
	if _, err := wildXauth(local[:len(local)-3]); err == nil {
		t.Fatal("a truncated file was accepted")
	}
}

func TestSoundSockets(t *testing.T) {
	rt := Env{"XDG_RUNTIME_DIR": "/run/user/1000"}
	for _, c := range []struct {
		env        Env
		path, pass string
	}{
		{rt, "/run/user/1000/pulse/native", ""},
		{Env{"PULSE_SERVER": "unix:/tmp/pulse-x/native", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/tmp/pulse-x/native", ""},
		{Env{"PULSE_SERVER": "{0123abcd}unix:/tmp/p/native tcp:localhost"}, "/tmp/p/native", ""},
		{Env{"PULSE_SERVER": "/tmp/p/native"}, "/tmp/p/native", ""},
		{Env{"PULSE_SERVER": "tcp:localhost:4713"}, "", "tcp:localhost:4713"},
		{Env{}, "", ""},
	} {
		if path, pass := pulseSocket(c.env); path != c.path || pass != c.pass {
			t.Errorf("pulseSocket(%v) = %q, %q; want %q, %q", c.env, path, pass, c.path, c.pass)
		}
	}
	for _, c := range []struct {
		env  Env
		want string
	}{
		{rt, "/run/user/1000/pipewire-0"},
		{Env{"PIPEWIRE_REMOTE": "pipewire-1", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/pipewire-1"},
		{Env{"PIPEWIRE_REMOTE": "/srv/pw/sock"}, "/srv/pw/sock"},
		{Env{"PIPEWIRE_RUNTIME_DIR": "/srv/pw", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/srv/pw/pipewire-0"},
		{Env{"PIPEWIRE_REMOTE": "../x", "XDG_RUNTIME_DIR": "/run/user/1000"}, "/run/user/1000/pipewire-0"},
		{Env{}, ""},
	} {
		if got := pipewireSocket(c.env); got != c.want {
			t.Errorf("pipewireSocket(%v) = %q, want %q", c.env, got, c.want)
		}
	}
}
