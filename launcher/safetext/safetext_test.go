package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain/dir name":         "plain/dir name",
		"tab\tkept, é ü 日本":      "tab\tkept, é ü 日本",
		"dir\x1b[2Jname":         `dir\e[2Jname`,
		"bell\a nul\x00 del\x7f": `bell\x07 nul\x00 del\x7f`,
		"line\nbreak\r":          `line\nbreak\r`,
		"c1 \u009b2J csi":        `c1 \u009b2J csi`,
		"bidi \u202eevil\u202c":  `bidi \u202eevil\u202c`,
		"isolate \u2066x\u2069":  `isolate \u2066x\u2069`,
		"zero\u200bwidth":        `zero\u200bwidth`,
		"bad \xff utf8":          `bad \xff utf8`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := EscapeLines("a\nb\x1b[0m\n"); got != "a\nb\\e[0m\n" {
		t.Errorf("EscapeLines: %q", got)
	}
}

// FuzzEscape: whatever the input, the output has no control character a
// terminal acts on, and clean input is returned as it is.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a", "dir\x1b[2J", "\u202e", "\xc2\x9b", "\xff\xfe", "é\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Escape(s), EscapeLines(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, r := range out {
				if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f || unsafeRune(r) {
					t.Fatalf("%q escaped to %q, which holds %U", s, out, r)
				}
			}
		}
		if strings.ContainsRune(Escape(s), '\n') {
			t.Fatalf("Escape kept a newline: %q", s)
		}
		if clean(s, false) && Escape(s) != s {
			t.Fatalf("clean %q changed", s)
		}
	})
}
