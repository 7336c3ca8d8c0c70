package agent

import (
	"os"
	"path/filepath"
)

// GuestSbxLink is where sbx appears on the machine's PATH: a Makefile or
// an editor task that calls `sbx run …` works inside the machine too.
const GuestSbxLink = "/usr/local/bin/sbx"

// linkSbx points /usr/local/bin/sbx at the bound binary unless something
// else is there already (a tool the user installed keeps its place).
func linkSbx(link, target string) error {
	if _, err := os.Lstat(link); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	return os.Symlink(target, link)
}

// guestBinary is the sbx binary as every machine sees it (bound read-only).
const guestBinary = "/usr/local/lib/sbx/sbx"
