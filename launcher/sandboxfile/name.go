package sandboxfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// maxNameLen is the longest machine name: a hostname (HOST_NAME_MAX) and a
// systemd unit instance both fit it.
const maxNameLen = 64

// DefaultName derives a machine name from a project root: the directory's
// base name made a valid hostname label, then "-" and 6 hex digits of the
// sha256 of the root's real path, so two projects with the same base name
// never share a machine.
func DefaultName(root string) string {
	real := filepath.Clean(root)
	if r, err := filepath.EvalSymlinks(root); err == nil {
		real = r
	}
	sum := sha256.Sum256([]byte(real))
	suffix := "-" + hex.EncodeToString(sum[:])[:6]

	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(filepath.Base(real)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.Trim(b.String(), "-")
	if len(base) > maxNameLen-len(suffix) {
		base = strings.TrimRight(base[:maxNameLen-len(suffix)], "-")
	}
	if base == "" {
		base = "sbx"
	}
	return base + suffix
}

// ValidName checks a machine name, from Name= or the command line: a single
// hostname label of lower-case letters, digits and '-', since machined,
// hostnames and unit names all have to accept it.
func ValidName(name string) error {
	switch {
	case name == "":
		return errors.New("machine name is empty")
	case len(name) > maxNameLen:
		return fmt.Errorf("machine name is %d characters long; the limit is %d", len(name), maxNameLen)
	case name[0] == '-' || name[len(name)-1] == '-':
		return fmt.Errorf("machine name %q starts or ends with '-'", name)
	}
	for _, r := range name {
		if !((r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-') {
			return fmt.Errorf("machine name %q contains %q; only a-z, 0-9 and '-' are allowed", name, r)
		}
	}
	return nil
}
