package editor

import (
	"bytes"
	"encoding/json"
	"strings"
)

// doc is a JSONC file being edited in place: each edit splices text into
// src and the next edit parses again, so offsets are never stale. New text
// follows the file's own line endings and indentation.
type doc struct {
	src  []byte
	bom  bool
	nl   string // "\n", or "\r\n" when the file uses that
	unit string // one level of indentation
}

// defaultIndent is what VS Code writes into a new settings.json.
const defaultIndent = "    "

func newDoc(src []byte) *doc {
	d := &doc{src: stripBOM(src), bom: bytes.HasPrefix(src, []byte(bom)), nl: "\n", unit: defaultIndent}
	if bytes.Contains(d.src, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	return d
}

// bytes returns the edited file, with its byte-order mark if it had one.
func (d *doc) bytes() []byte {
	if d.bom {
		return append([]byte(bom), d.src...)
	}
	return d.src
}

// root parses the file; it also learns the indentation unit from the
// first item of the top-level container that starts a line.
func (d *doc) root() (*node, error) {
	n, err := parseJSONC(d.src)
	if err != nil || n == nil {
		return n, err
	}
	base, _ := d.lineIndent(n.start)
	for _, start := range itemStarts(n) {
		if ind, first := d.lineIndent(start); first && len(ind) > len(base) && strings.HasPrefix(ind, base) {
			d.unit = ind[len(base):]
			break
		}
	}
	return n, nil
}

func itemStarts(n *node) []int {
	var s []int
	for _, m := range n.members {
		s = append(s, m.keyStart)
	}
	for _, e := range n.elems {
		s = append(s, e.start)
	}
	return s
}

// lineIndent returns the blanks between the start of pos's line and the
// first non-blank, and whether pos is that first non-blank.
func (d *doc) lineIndent(pos int) (string, bool) {
	ls := bytes.LastIndexByte(d.src[:pos], '\n') + 1
	i := ls
	for i < len(d.src) && (d.src[i] == ' ' || d.src[i] == '\t') {
		i++
	}
	return string(d.src[ls:i]), i == pos
}

// format renders v as indented JSON whose continuation lines start with
// base. Objects get a line per member; arrays of plain values stay on one
// line (["run", "make"]), as people write them.
func (d *doc) format(v any, base string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("editor: unencodable value: " + err.Error()) // our own values only
	}
	src := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	n, err := parseJSONC(src)
	if err != nil {
		panic("editor: encoding/json wrote what the parser rejects: " + err.Error())
	}
	var out strings.Builder
	d.pretty(&out, src, n, base)
	return out.String()
}

func (d *doc) pretty(out *strings.Builder, src []byte, n *node, ind string) {
	inner := ind + d.unit
	switch {
	case n.kind == '{' && len(n.members) > 0:
		out.WriteString("{")
		for i, m := range n.members {
			if i > 0 {
				out.WriteString(",")
			}
			k, _ := json.Marshal(m.key)
			out.WriteString(d.nl + inner + string(k) + ": ")
			d.pretty(out, src, m.value, inner)
		}
		out.WriteString(d.nl + ind + "}")
	case n.kind == '[' && !allPlain(n.elems):
		out.WriteString("[")
		for i, e := range n.elems {
			if i > 0 {
				out.WriteString(",")
			}
			out.WriteString(d.nl + inner)
			d.pretty(out, src, e, inner)
		}
		out.WriteString(d.nl + ind + "]")
	case n.kind == '[':
		out.WriteString("[")
		for i, e := range n.elems {
			if i > 0 {
				out.WriteString(", ")
			}
			out.Write(src[e.start:e.end])
		}
		out.WriteString("]")
	default:
		out.Write(src[n.start:n.end])
	}
}

func allPlain(ns []*node) bool {
	for _, n := range ns {
		if n.kind == '{' || n.kind == '[' {
			return false
		}
	}
	return true
}

func (d *doc) splice(start, end int, text string) {
	d.src = append(d.src[:start:start], append([]byte(text), d.src[end:]...)...)
}

// replace puts v where n is, indented like n's line.
func (d *doc) replace(n *node, v any) {
	ind, _ := d.lineIndent(n.start)
	d.splice(n.start, n.end, d.format(v, ind))
}

// setMember sets key in obj to v: the value is replaced where the key is,
// or a new member goes after the last one.
func (d *doc) setMember(obj *node, key string, v any) {
	if old := obj.lookup(key); old != nil {
		d.replace(old, v)
		return
	}
	k, _ := json.Marshal(key)
	d.insertItem(obj, func(ind string) string { return string(k) + ": " + d.format(v, ind) })
}

// appendElem adds v at the end of arr.
func (d *doc) appendElem(arr *node, v any) {
	d.insertItem(arr, func(ind string) string { return d.format(v, ind) })
}

// insertItem adds one item (rendered by text at indentation ind) at the
// end of container c, on a line of its own, adding the comma the previous
// item needs. A trailing comma or a // comment after the last item stays
// where it is.
func (d *doc) insertItem(c *node, text func(ind string) string) {
	outer, _ := d.lineIndent(c.start)
	ind := outer + d.unit
	starts := itemStarts(c)
	if len(starts) == 0 {
		item := d.nl + ind + text(ind)
		if !bytes.ContainsAny(d.src[c.start+1:c.end-1], "\n") {
			item += d.nl + outer
		}
		d.splice(c.start+1, c.start+1, item)
		return
	}
	if i, first := d.lineIndent(starts[len(starts)-1]); first {
		ind = i
	}
	var last int // where the last value ends
	if len(c.members) > 0 {
		last = c.members[len(c.members)-1].value.end
	} else {
		last = c.elems[len(c.elems)-1].end
	}
	p := &parser{src: d.src, pos: last}
	_ = p.skip() // the file parsed: comments here are closed
	if p.src[p.pos] == ',' {
		at := d.endOfLineComment(p.pos + 1)
		d.splice(at, at, d.nl+ind+text(ind))
		return
	}
	at := d.endOfLineComment(last)
	d.splice(at, at, d.nl+ind+text(ind))
	d.splice(last, last, ",")
}

// endOfLineComment returns pos, or the end of its line when the rest of
// the line is a // comment (so new text does not land inside or before it).
func (d *doc) endOfLineComment(pos int) int {
	i := pos
	for i < len(d.src) && (d.src[i] == ' ' || d.src[i] == '\t') {
		i++
	}
	if !bytes.HasPrefix(d.src[i:], []byte("//")) {
		return pos
	}
	for i < len(d.src) && d.src[i] != '\n' {
		i++
	}
	if i > 0 && d.src[i-1] == '\r' {
		i--
	}
	return i
}

// kv is one member of an ordered object: encoding/json sorts map keys, but
// a snippet reads best in the order it was written.
type kv struct {
	K string
	V any
}

// object is a JSON object that keeps its members' order.
type object []kv

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.K)
		if err != nil {
			return nil, err
		}
		var v bytes.Buffer
		enc := json.NewEncoder(&v)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m.V); err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(bytes.TrimSuffix(v.Bytes(), []byte("\n")))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
