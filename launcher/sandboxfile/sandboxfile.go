// Package sandboxfile finds and parses a project's .sandbox file: INI in the
// style of systemd .nspawn files, with every error naming file, line and fix.
//
// The parsed File keeps the exact bytes it was parsed from and their hash, so
// the trust check and the use of the file see the same content: read once,
// decide once.
package sandboxfile

import (
	"errors"
	"fmt"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
)

// FileName is the name of the project file sbx looks for.
const FileName = ".sandbox"

// ErrNotFound means there is no .sandbox at or above a directory.
var ErrNotFound = errors.New("no " + FileName + " file in this directory or any parent")

// Defaults used when a key is absent.
const (
	DefaultDistribution = "debian"
	DefaultRelease      = "trixie"
	DefaultMirror       = "http://deb.debian.org/debian"
	UbuntuRelease       = "noble"
	UbuntuMirror        = "http://archive.ubuntu.com/ubuntu"
)

// File is a parsed .sandbox file.
type File struct {
	Path string // absolute, symlinks resolved
	Root string // project root: the directory holding the file, real path
	Hash string // hex sha256 of Data
	Data []byte // exact bytes parsed, so what is checked for trust is what is used

	Machine Machine
	Exec    Exec
	Files   Files
	Network Network
	Host    Host
}

// Machine is the [Machine] section: what the machine is built from.
type Machine struct {
	Name         string // machine name; defaults to DefaultName(Root)
	Distribution string // "debian" or "ubuntu"
	Release      string // codename, e.g. "trixie"
	Mirror       string // http or https URL of the archive
	Hostname     string // defaults to Name
	Packages     []string
	StopWhenIdle time.Duration // 0 means never
}

// Exec is the [Exec] section: how commands run inside the machine.
type Exec struct {
	Setup           [][]string // argv of each one-time setup command, in order
	Shell           string     // absolute path of the login shell; empty: the user's default
	Environment     []string   // KEY=VALUE
	PassEnvironment []string   // names of host variables passed through
}

// Files is the [Files] section: extra bind mounts.
type Files struct {
	Binds []Bind
}

// Bind is one Bind= or BindReadOnly= line: Host absolute and cleaned,
// Guest the same as Host unless given.
type Bind struct {
	layout.Bind
	Line int // line in the .sandbox, for later error messages
}

// Network is the [Network] section.
type Network struct {
	Private bool // a private network namespace instead of the host's
}

// ParseError is a problem at one line of a .sandbox file.
type ParseError struct {
	File string
	Line int
	Msg  string // what is wrong
	Fix  string // how to fix it: the hint the CLI prints under the error
}

// Hint is the fix, for the CLI's hint line (launcher/hint).
func (e *ParseError) Hint() string { return e.Fix }

// Error returns "FILE:LINE: MSG", the form editors and terminals link.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}
