// Package safetext escapes text that someone else wrote before sbx prints
// it: directory names, .sandbox lines shown for review, parse errors. A
// name like "dir\x1b[2Jx" must not clear the user's screen, retitle the
// terminal or reorder what follows (bidi overrides, "Trojan Source").
package safetext

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Escape returns s with every control character written as a Go escape:
// C0 (but tab) and DEL, C1, the bidi embeddings, overrides and isolates,
// zero-width marks and invalid UTF-8. Printable text is kept as it is,
// newlines escaped too; see EscapeLines for multi-line text.
func Escape(s string) string {
	if clean(s, false) {
		return s
	}
	return escape(s, false)
}

// EscapeLines is Escape for multi-line text: newlines are kept.
func EscapeLines(s string) string {
	if clean(s, true) {
		return s
	}
	return escape(s, true)
}

// clean is the fast path: nothing to escape (the usual case).
func clean(s string, newlines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if unsafeByte(c, newlines) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

func unsafeByte(c byte, newlines bool) bool {
	return (c < 0x20 && c != '\t' && !(newlines && c == '\n')) || c == 0x7f
}

// unsafeRune tells whether r (non-ASCII) is a control or a format
// character that changes how the text around it is shown.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1, CSI (0x9b) among them
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c: // LRM, RLM, ALM
		return true
	case r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff: // zero-width characters
		return true
	case r >= 0xfff9 && r <= 0xfffb: // interlinear annotations
		return true
	}
	return false
}

func escape(s string, newlines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unsafeByte(byte(r), newlines):
			switch r {
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case 0x1b:
				b.WriteString(`\e`)
			default:
				fmt.Fprintf(&b, `\x%02x`, r)
			}
		case r >= 0x80 && unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
