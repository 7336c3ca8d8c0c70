package editor

import "testing"

// TestSyntaxErrorsSayWhereAndWhat: each malformed object or array is
// refused with its line, column and what was expected there; a trailing
// comma is allowed (JSONC).
func TestSyntaxErrorsSayWhereAndWhat(t *testing.T) {
	for src, want := range map[string]string{
		`{"a": 1 "b": 2}`:     `line 1, column 9: expected ',' or '}' after the value of "a"`,
		`{"a" 1}`:             `line 1, column 6: expected ':' after the key "a"`,
		"{\n  a: 1}":          `line 2, column 3: expected a quoted key or '}'`,
		`[1, 2 3]`:            `line 1, column 7: expected ',' or ']' in the array`,
		`{"a": [1, 2,], }`:    ``,
		`{"a": {"b": [}}`:     `line 1, column 14: unexpected '}', expected a value`,
		`{"a": 1`:             `line 1, column 8: expected ',' or '}' after the value of "a"`,
		`[`:                   `line 1, column 2: unexpected end of file, expected a value`,
		`{"a": [true false]}`: `line 1, column 13: expected ',' or ']' in the array`,
	} {
		_, err := parseJSONC([]byte(src))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("parseJSONC(%q) = %q, want %q", src, got, want)
		}
	}
}
