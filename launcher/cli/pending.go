package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/sbxdev/sbx/launcher/trust"
)

// The shell hook's notice for an untrusted project leaves a marker file
// per .sandbox; `sbx allow` removes it. The hook stats the marker at each
// prompt (no process) and enters as soon as it is gone, so the prompt right
// after `sbx allow` enters the machine: `cd .` would not, as the directory
// did not change.

// pendingMarker is the marker's path for the .sandbox at path (its real path).
func pendingMarker(store trust.Store, path string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(store.Dir, "pending", hex.EncodeToString(sum[:]))
}

// markPending creates the marker for path and returns its path.
func markPending(store trust.Store, path string) (string, error) {
	m := pendingMarker(store, path)
	if err := os.MkdirAll(filepath.Dir(m), 0o700); err != nil {
		return "", err
	}
	return m, os.WriteFile(m, []byte(path+"\n"), 0o600)
}

// clearPending removes the marker for path and reports whether a hook
// was waiting for it.
func clearPending(store trust.Store, path string) bool {
	return os.Remove(pendingMarker(store, path)) == nil
}
