// Package nspawn writes and reads the /etc/systemd/nspawn/NAME.nspawn file of
// an sbx machine. The file is the single record of a machine: systemd reads
// its settings, sbx reads its "# sbx-KEY=VALUE" header (the directory is
// world-readable, unlike /var/lib/machines).
package nspawn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/sbxdev/sbx/launcher/layout"
)

// Dir is where systemd looks for trusted per-machine settings.
const Dir = "/etc/systemd/nspawn"

// Marker is the first line of every file sbx manages.
const Marker = "# Managed by sbx. `sbx create` rewrites this file; put changes in the project's .sandbox."

// States of a machine as recorded in Meta.State.
const (
	StateIncomplete = "incomplete" // built, but Setup= has not finished
	StateReady      = "ready"
)

// Meta is what sbx records about a machine.
type Meta struct {
	Project      string // project root on the host
	Owner        int    // UID of the user who created it
	Distribution string
	Release      string
	State        string
	Created      string // RFC 3339
	Private      bool   // private network (read from [Network])
	// Applied is the record of what has been applied to the machine
	// (contract.Record, encoded on one line); empty for machines made
	// before sbx kept one.
	Applied string
}

// Mount is one bind mount; Guest empty means the same path.
type Mount = layout.Bind

// Settings is everything that goes into the file.
type Settings struct {
	Meta     Meta
	Hostname string
	Binds    []Mount
	Private  bool // private network (veth) instead of the host's
}

// Path is the settings file of machine name.
func Path(name string) string { return filepath.Join(Dir, name+".nspawn") }

// Render produces the file's text.
func Render(s Settings) (string, error) {
	var b strings.Builder
	b.WriteString(Marker + "\n")
	meta := [][2]string{
		{"project", s.Meta.Project},
		{"owner", fmt.Sprint(s.Meta.Owner)},
		{"distribution", s.Meta.Distribution},
		{"release", s.Meta.Release},
		{"state", s.Meta.State},
		{"created", s.Meta.Created},
	}
	if s.Meta.Applied != "" {
		meta = append(meta, [2]string{"applied", s.Meta.Applied})
	}
	for _, kv := range meta {
		if strings.ContainsAny(kv[1], "\n\r") {
			return "", fmt.Errorf("%s %q contains a line break", kv[0], kv[1])
		}
		fmt.Fprintf(&b, "# sbx-%s=%s\n", kv[0], kv[1])
	}
	// -U (private users) and --network-veth are the unit's defaults; these
	// lines switch them off, as the seed does.
	fmt.Fprintf(&b, "\n[Exec]\nBoot=yes\nPrivateUsers=no\nHostname=%s\n", s.Hostname)
	b.WriteString("\n[Files]\n")
	for _, m := range s.Binds {
		v, err := BindValue(m)
		if err != nil {
			return "", err
		}
		key := "Bind"
		if m.ReadOnly {
			key = "BindReadOnly"
		}
		fmt.Fprintf(&b, "%s=%s\n", key, v)
	}
	if s.Private {
		b.WriteString("\n[Network]\nPrivate=yes\nVirtualEthernet=yes\n")
	} else {
		b.WriteString("\n[Network]\nPrivate=no\nVirtualEthernet=no\n")
	}
	return b.String(), nil
}

// BindValue escapes a bind for a Bind= line. systemd splits the value at ':'
// and treats '\' as an escape, so both are escaped; spaces and commas are fine
// as they are (measured: see DESIGN.md). A line break cannot be expressed.
func BindValue(m Mount) (string, error) {
	for _, p := range []string{m.Host, m.Guest} {
		if strings.ContainsAny(p, "\n\r\x00") {
			return "", fmt.Errorf("path %q contains a line break, which a .nspawn Bind= line cannot express; rename the directory", p)
		}
		if p != "" && !filepath.IsAbs(p) {
			return "", fmt.Errorf("bind path %q is not absolute", p)
		}
	}
	v := escape(m.Host)
	if m.Guest != "" && m.Guest != m.Host {
		v += ":" + escape(m.Guest)
	}
	// A value with leading or trailing white space would be trimmed by the
	// parser; such paths cannot be expressed either.
	if strings.TrimSpace(v) != v {
		return "", fmt.Errorf("path %q starts or ends with white space, which a .nspawn Bind= line cannot express", m.Host)
	}
	return v, nil
}

func escape(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(p)
}

// Write writes the settings atomically (temp file + rename) with mode 0644.
func Write(name string, s Settings) error {
	text, err := Render(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		return err
	}
	tmp := Path(name) + ".tmp"
	if err := writeSynced(tmp, []byte(text)); err != nil {
		os.Remove(tmp) // best effort
		return err
	}
	return os.Rename(tmp, Path(name))
}

// writeSynced writes a new file and syncs it, so that a crash right after
// the rename never leaves an empty settings file under the machine's name.
func writeSynced(path string, data []byte) error {
	os.Remove(path) // best effort: a leftover of a crash
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ErrNotSbx means the machine exists but was not made by sbx.
var ErrNotSbx = errors.New("not an sbx machine")

// ReadMeta reads the header of name's settings file. It returns
// os.ErrNotExist when there is none and ErrNotSbx when another tool wrote it.
func ReadMeta(name string) (Meta, error) {
	data, err := os.ReadFile(Path(name))
	if err != nil {
		return Meta{}, err
	}
	return ParseMeta(data)
}

// ParseMeta reads the "# sbx-" header lines.
func ParseMeta(data []byte) (Meta, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() || sc.Text() != Marker {
		return Meta{}, ErrNotSbx
	}
	var m Meta
	for sc.Scan() {
		line := sc.Text()
		if line == "Private=yes" {
			m.Private = true
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "# sbx-"), "=")
		if !strings.HasPrefix(line, "# sbx-") || !ok {
			continue
		}
		switch k {
		case "project":
			m.Project = v
		case "owner":
			fmt.Sscan(v, &m.Owner)
		case "distribution":
			m.Distribution = v
		case "release":
			m.Release = v
		case "state":
			m.State = v
		case "created":
			m.Created = v
		case "applied":
			m.Applied = v
		}
	}
	return m, nil
}

// List returns the names of all machines sbx manages on this host.
func List() ([]string, error) {
	entries, err := os.ReadDir(Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".nspawn")
		if !ok || e.IsDir() {
			continue
		}
		if _, err := ReadMeta(name); err == nil {
			names = append(names, name)
		}
	}
	return names, nil
}
