package cli

import (
	"os/exec"
	"testing"
)

// TestShellJoinRoundTrips: what shellJoin prints, sh reads back as the
// same words.
func TestShellJoinRoundTrips(t *testing.T) {
	argv := []string{"plain", "a b", "it's", "", "$HOME", "x;y", "back\\slash", "@%+=:,./-_"}
	if got, want := shellJoin(argv[:1]), "plain"; got != want {
		t.Errorf("shellJoin(plain) = %q, want %q", got, want)
	}
	out, err := exec.Command("sh", "-c", `for a in `+shellJoin(argv)+`; do printf '%s\n' "[$a]"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, a := range argv {
		want += "[" + a + "]\n"
	}
	if string(out) != want {
		t.Errorf("sh read back %q, want %q", out, want)
	}
}
