package editor

import (
	"encoding/json"
	"fmt"
	"strings"
)

// JSONC is the JSON dialect of VS Code's settings.json and tasks.json: JSON
// plus // and /* */ comments and trailing commas. This is a parser that
// keeps byte offsets, so a merge can splice new text into the file and
// leave every byte the user wrote (comments, order, layout) where it was.

// node is one parsed value and where it sits in the source.
type node struct {
	kind       byte // '{' object, '[' array, '"' string, '0' number, 'l' true/false/null
	start, end int  // the value's bytes: src[start:end]
	members    []member
	elems      []*node
	str        string // decoded, for strings
}

// member is one "key": value pair of an object.
type member struct {
	key      string
	keyStart int
	value    *node
}

// lookup returns the value of the last member called key (JSON parsers,
// VS Code's included, let the last duplicate win).
func (n *node) lookup(key string) *node {
	for i := len(n.members) - 1; i >= 0; i-- {
		if n.members[i].key == key {
			return n.members[i].value
		}
	}
	return nil
}

// SyntaxError is a place in a JSONC file that is not JSONC.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

type parser struct {
	src []byte
	pos int
}

// parseJSONC parses src. A file with nothing but blanks and comments gives
// a nil node and no error: it is an empty file as far as a merge goes.
func parseJSONC(src []byte) (*node, error) {
	p := &parser{src: src}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.pos == len(src) {
		return nil, nil
	}
	n, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if err := p.skip(); err != nil {
		return nil, err
	}
	if p.pos != len(src) {
		return nil, p.errorf("unexpected %q after the end of the top-level value", src[p.pos])
	}
	return n, nil
}

func (p *parser) errorf(format string, a ...any) error {
	return errorAt(p.src, p.pos, fmt.Sprintf(format, a...))
}

func errorAt(src []byte, pos int, msg string) error {
	line, col := 1, 1
	for _, c := range src[:pos] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &SyntaxError{Line: line, Col: col, Msg: msg}
}

// skip moves past blanks and comments.
func (p *parser) skip() error {
	for p.pos < len(p.src) {
		switch c := p.src[p.pos]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.pos++
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '/':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		case c == '/' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '*':
			end := strings.Index(string(p.src[p.pos+2:]), "*/")
			if end < 0 {
				return p.errorf("unterminated /* comment")
			}
			p.pos += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

// maxDepth bounds nesting so a hostile file cannot exhaust the stack.
const maxDepth = 200

func (p *parser) value(depth int) (*node, error) {
	if depth > maxDepth {
		return nil, p.errorf("nested more than %d levels deep", maxDepth)
	}
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end of file, expected a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.scalar('0', "-+.eE0123456789")
	case c == 't' || c == 'f' || c == 'n':
		return p.scalar('l', "truefalsn")
	default:
		return nil, p.errorf("unexpected %q, expected a value", c)
	}
}

// scalar reads a number or literal and checks it with encoding/json.
func (p *parser) scalar(kind byte, chars string) (*node, error) {
	start := p.pos
	for p.pos < len(p.src) && strings.IndexByte(chars, p.src[p.pos]) >= 0 {
		p.pos++
	}
	if !json.Valid(p.src[start:p.pos]) {
		p.pos = start
		return nil, p.errorf("invalid value %q", p.src[start:min(start+20, len(p.src))])
	}
	return &node{kind: kind, start: start, end: p.pos}, nil
}

func (p *parser) string() (*node, error) {
	start := p.pos
	p.pos++
	for {
		if p.pos >= len(p.src) || p.src[p.pos] == '\n' {
			p.pos = start
			return nil, p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		p.pos++
		if c == '\\' {
			p.pos++
			continue
		}
		if c == '"' {
			break
		}
	}
	var s string
	if err := json.Unmarshal(p.src[start:p.pos], &s); err != nil {
		p.pos = start
		return nil, p.errorf("invalid string: %v", err)
	}
	return &node{kind: '"', start: start, end: p.pos, str: s}, nil
}

func (p *parser) object(depth int) (*node, error) {
	n := &node{kind: '{', start: p.pos}
	err := p.items('}', func() (string, error) {
		if !p.at('"') {
			return "", p.errorf("expected a quoted key or '}'")
		}
		key, err := p.string()
		if err != nil {
			return "", err
		}
		if err := p.skip(); err != nil {
			return "", err
		}
		if !p.at(':') {
			return "", p.errorf("expected ':' after the key %q", key.str)
		}
		p.pos++
		if err := p.skip(); err != nil {
			return "", err
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return "", err
		}
		n.members = append(n.members, member{key: key.str, keyStart: key.start, value: v})
		return fmt.Sprintf("after the value of %q", key.str), nil
	})
	if err != nil {
		return nil, err
	}
	n.end = p.pos
	return n, nil
}

func (p *parser) array(depth int) (*node, error) {
	n := &node{kind: '[', start: p.pos}
	err := p.items(']', func() (string, error) {
		v, err := p.value(depth + 1)
		if err != nil {
			return "", err
		}
		n.elems = append(n.elems, v)
		return "in the array", nil
	})
	if err != nil {
		return nil, err
	}
	n.end = p.pos
	return n, nil
}

// items parses what stands between the opening bracket at p.pos and its
// closing one, close: item after item, separated by commas (a trailing
// comma allowed, as in JSONC). item parses one and says where it stands,
// for the error when neither a comma nor close follows it.
func (p *parser) items(close byte, item func() (where string, err error)) error {
	p.pos++
	for {
		if err := p.skip(); err != nil {
			return err
		}
		if p.at(close) {
			p.pos++
			return nil
		}
		where, err := item()
		if err != nil {
			return err
		}
		if err := p.skip(); err != nil {
			return err
		}
		if p.at(',') {
			p.pos++
			continue
		}
		if !p.at(close) {
			return p.errorf("expected ',' or '%c' %s", close, where)
		}
	}
}

// at tells whether the next byte is c.
func (p *parser) at(c byte) bool { return p.pos < len(p.src) && p.src[p.pos] == c }

// plain returns the value as ordinary JSON data (maps, slices, strings,
// float64, bool, nil), comments and layout dropped: what the file means.
func (n *node) plain(src []byte) any {
	switch n.kind {
	case '{':
		m := map[string]any{}
		for _, mem := range n.members {
			m[mem.key] = mem.value.plain(src)
		}
		return m
	case '[':
		a := make([]any, len(n.elems))
		for i, e := range n.elems {
			a[i] = e.plain(src)
		}
		return a
	case '"':
		return n.str
	default:
		var v any
		_ = json.Unmarshal(src[n.start:n.end], &v) // checked when parsed
		return v
	}
}

// Decode parses JSONC and returns what it means as plain JSON data (nil for
// an empty file). Tests and callers use it to compare files by meaning.
func Decode(src []byte) (any, error) {
	n, err := parseJSONC(stripBOM(src))
	if err != nil || n == nil {
		return nil, err
	}
	return n.plain(stripBOM(src)), nil
}

const bom = "\xef\xbb\xbf"

func stripBOM(b []byte) []byte { return []byte(strings.TrimPrefix(string(b), bom)) }
