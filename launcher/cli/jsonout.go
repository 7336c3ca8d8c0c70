package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
)

// jsonFlag adds --json to a command: its output becomes one JSON document
// on stdout with the same fields as the text, under names that stay
// stable (documented in README.md, "JSON output").
func jsonFlag(fs *flag.FlagSet, on *bool) {
	fs.BoolVar(on, "json", false, "print JSON (the same fields, for scripts and editors)")
}

// writeJSON prints v indented, with a final newline. encoding/json
// escapes control characters, so untrusted text (paths, names) is safe.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// field is one line of a record that is shown both as text ("Label:
// text") and as a JSON member ("key": value). A record is a list of them,
// written once, so both outputs always have the same fields.
type field struct {
	Label string // text label; the line is left out when Text is ""
	Key   string // JSON name
	Text  string // as text
	Value any    // as JSON; the member is left out when nil
}

// fieldsJSON renders fields as one JSON object, in their order.
func fieldsJSON(fields []field) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	n := 0
	for _, f := range fields {
		if f.Value == nil {
			continue
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
