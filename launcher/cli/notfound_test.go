package cli

import (
	"strings"
	"testing"
)

func TestNotFoundHint(t *testing.T) {
	got := notFoundHint("go", []string{"golang-go", "gccgo-go"}, "/src/my proj/.sandbox", "/src/my proj")
	for _, want := range []string{
		"sbx: go is in the Debian package golang-go (also in: gccgo-go). To have it in the machine:\n",
		"  add it to Packages= in /src/my proj/.sandbox, then: sbx allow '/src/my proj', and run the command again\n",
		"apt-get install -y golang-go'\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("hint lacks %q:\n%s", want, got)
		}
	}
}

func TestNotFoundHintEscapes(t *testing.T) {
	got := notFoundHint("bc", []string{"bc"}, "/src/a\x1b[2Jb/.sandbox", "/src/a\x1b[2Jb")
	if strings.Contains(got, "\x1b") {
		t.Errorf("a control character in the project path reaches the terminal: %q", got)
	}
}
