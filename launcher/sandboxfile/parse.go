package sandboxfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Parse parses data as the .sandbox file at path. home expands "~" in
// paths. Absent keys get their defaults; the machine name defaults to
// DefaultName of the directory holding path. Errors are *ParseError.
func Parse(path string, data []byte, home string) (*File, error) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256(data)
	f := &File{
		Path: path,
		Root: filepath.Dir(path),
		Hash: hex.EncodeToString(sum[:]),
		Data: data,
	}
	p := &parser{f: f, home: home, seen: map[string]int{}}
	for i, line := range bytes.Split(data, []byte("\n")) {
		p.line = i + 1
		if err := p.parseLine(line); err != nil {
			return nil, err
		}
	}
	p.line = 0
	f.Host.Home = home
	applyDefaults(f)
	return f, nil
}

// parser holds the state of one Parse call.
type parser struct {
	f       *File
	home    string
	section string
	line    int
	seen    map[string]int // "Section.Key" of singletons → line first set
}

func (p *parser) errorf(hint, format string, a ...any) *ParseError {
	return &ParseError{File: p.f.Path, Line: p.line, Msg: fmt.Sprintf(format, a...), Fix: hint}
}

func (p *parser) parseLine(raw []byte) error {
	if !utf8.Valid(raw) {
		return p.errorf("save the file as UTF-8 text", "line is not valid UTF-8")
	}
	line := strings.TrimSuffix(string(raw), "\r")
	if i := strings.IndexFunc(line, isForbiddenControl); i >= 0 {
		return p.errorf("remove the control character; "+FileName+" is plain text",
			"line contains control character %U at column %d", []rune(line[i:])[0], utf8.RuneCountInString(line[:i])+1)
	}
	line = strings.TrimSpace(line)
	switch {
	case line == "" || line[0] == '#' || line[0] == ';':
		return nil
	case line[0] == '[':
		return p.parseSection(line)
	}
	key, value, ok := strings.Cut(line, "=")
	key, value = strings.TrimSpace(key), strings.TrimSpace(value)
	if !ok {
		return p.errorf("write settings as Key=Value, sections as [Section], comments starting with #",
			"expected Key=Value, found %q", line)
	}
	if key == "" {
		return p.errorf("write the key before the '=', e.g. Packages=git", "missing key before '='")
	}
	spec := findKey(p.section, key)
	if spec == nil {
		return p.unknownKey(key)
	}
	if !spec.repeatable {
		id := p.section + "." + key
		if first, dup := p.seen[id]; dup {
			return p.errorf(fmt.Sprintf("keep one %s= line (line %d or this one) and delete the other", key, first),
				"%s= is already set at line %d; it can be given only once", key, first)
		}
		p.seen[id] = p.line
	}
	if value == "" && !spec.emptyOK {
		return p.errorf(fmt.Sprintf("give a value, or delete the line to use the default (see: sbx help sandbox); example: %s", spec.example),
			"%s= has an empty value", key)
	}
	if verr := spec.set(p, value); verr != nil {
		hint := verr.hint
		if hint == "" {
			hint = "example: " + spec.example
		}
		return p.errorf(hint, "%s=%s: %s", key, value, verr.msg)
	}
	return nil
}

func (p *parser) parseSection(line string) error {
	if !strings.HasSuffix(line, "]") {
		return p.errorf("write a section header as [Machine], [Exec], [Files] or [Network], alone on its line",
			"malformed section header %q", line)
	}
	name := line[1 : len(line)-1]
	if !isSection(name) {
		hint := "sections are " + sectionList()
		if s := closest(name, sectionNames()); s != "" {
			hint = fmt.Sprintf("did you mean [%s]? (sections are %s)", s, sectionList())
		}
		return p.errorf(hint, "unknown section [%s]", name)
	}
	p.section = name
	return nil
}

func (p *parser) unknownKey(key string) error {
	if p.section == "" {
		if home := sectionOf(key); home != "" {
			return p.errorf(fmt.Sprintf("put a [%s] line above it", home), "%s= is outside any section", key)
		}
		return p.errorf("start the file with a section header such as [Machine]", "%s= is outside any section", key)
	}
	if home := sectionOf(key); home != "" {
		return p.errorf(fmt.Sprintf("move it under [%s]", home), "%s= belongs in [%s], not [%s]", key, home, p.section)
	}
	known := keyNames(p.section)
	hint := fmt.Sprintf("keys in [%s] are %s= (keys are case-sensitive)", p.section, strings.Join(known, "=, "))
	if s := closest(key, known); s != "" {
		hint = fmt.Sprintf("did you mean %s=? (keys are case-sensitive)", s)
	}
	return p.errorf(hint, "unknown key %s= in [%s]", key, p.section)
}

// isForbiddenControl reports control characters other than tab; a .sandbox
// is text, and invisible characters in paths or commands hide intent.
func isForbiddenControl(r rune) bool {
	return (r < 0x20 && r != '\t') || r == 0x7f
}

func applyDefaults(f *File) {
	m := &f.Machine
	if m.Distribution == "" {
		m.Distribution = DefaultDistribution
	}
	if m.Release == "" {
		m.Release = DefaultRelease
		if m.Distribution == "ubuntu" {
			m.Release = UbuntuRelease
		}
	}
	if m.Mirror == "" {
		m.Mirror = DefaultMirror
		if m.Distribution == "ubuntu" {
			m.Mirror = UbuntuMirror
		}
	}
	if m.Name == "" {
		m.Name = DefaultName(f.Root)
	}
	if m.Hostname == "" {
		m.Hostname = m.Name
	}
}
