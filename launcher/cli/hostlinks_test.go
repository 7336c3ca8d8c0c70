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
