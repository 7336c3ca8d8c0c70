package agent

import "testing"

// TestGPGSocketSubdir: the names gpgconf --list-dirs socketdir gives
// (GnuPG 2.2.40 and 2.4) for these homes.
func TestGPGSocketSubdir(t *testing.T) {
	for home, want := range map[string]string{
		GPGHome:  "d.wpqh74sareo3uiy41y3idyiz",
		"/tmp/x": "d.h6s1g4fjrjgazzbo8pfcmbbo",
	} {
		if got := gpgSocketSubdir(home); got != want {
			t.Errorf("gpgSocketSubdir(%q) = %q, want %q", home, got, want)
		}
	}
}
