package editor

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxFileSize bounds what is read as a settings file: far above any real
// one, and a guard against a device or a huge file behind the name.
const maxFileSize = 16 << 20

// MergeError is a file sbx refused to merge into; it was left as it was,
// and nothing else was written either.
type MergeError struct {
	Path string
	Err  error
}

func (e *MergeError) Error() string {
	return fmt.Sprintf("%s: %v; the file is unchanged", e.Path, e.Err)
}
func (e *MergeError) Unwrap() error { return e.Err }

// FileResult says what a write did to one file.
type FileResult struct {
	Path    string
	Created bool // the file did not exist
	Changed bool // its content is new (false: it was up to date)
	// KeptDefault is the user's own default terminal profile, left in
	// place (settings.json without makeDefault), or "".
	KeptDefault string
}

// WriteVSCode merges the sbx terminal profile and build task into
// DIR/.vscode/settings.json and tasks.json, creating what is missing. Each
// file is replaced atomically (a complete new file renamed over the old);
// a file that cannot be merged (not JSONC, not an object) is left exactly
// as it was and nothing is written to it. Running it again changes nothing.
// makeDefault makes the sbx profile the default terminal profile even where
// the user chose another one.
//
// A cloned repository is someone else's: a .vscode (or a file in it) that
// is a symbolic link pointing out of the project is refused, so --write
// never writes outside it.
func WriteVSCode(dir string, makeDefault bool) ([]FileResult, error) {
	settings := MergeVSCodeSettings
	if makeDefault {
		settings = MergeVSCodeSettingsDefault
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", dir, err)
	}
	vsdir := filepath.Join(root, ".vscode")
	if fi, err := os.Lstat(vsdir); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(vsdir)
		if err != nil || !within(root, real) {
			return nil, fmt.Errorf("%s is a symbolic link out of the project; sbx writes only inside it (replace the link with a directory)", vsdir)
		}
	}
	if err := os.MkdirAll(vsdir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", vsdir, err)
	}
	var results []FileResult
	// Both are merged in memory before either is written, so a file that
	// cannot be merged leaves the other untouched too.
	type plan struct {
		path   string
		old    []byte
		exists bool
		merged []byte
	}
	var plans []plan
	for _, f := range []struct {
		name  string
		merge func([]byte) ([]byte, error)
	}{{"settings.json", settings}, {"tasks.json", MergeVSCodeTasks}} {
		path, err := resolve(filepath.Join(vsdir, f.name))
		if err != nil {
			return nil, err
		}
		if real, err := filepath.EvalSymlinks(filepath.Dir(path)); err != nil || !within(root, real) {
			return nil, fmt.Errorf("%s leads out of the project (to %s); sbx writes only inside it", filepath.Join(vsdir, f.name), path)
		}
		old, exists, err := readSettings(path)
		if err != nil {
			return nil, err
		}
		merged, err := f.merge(old)
		if err != nil {
			return nil, &MergeError{Path: path, Err: err}
		}
		plans = append(plans, plan{path, old, exists, merged})
	}
	for _, p := range plans {
		r := FileResult{Path: p.path, Created: !p.exists, Changed: !p.exists || !bytes.Equal(p.old, p.merged),
			KeptDefault: OtherDefaultProfile(p.merged)}
		if r.Changed {
			if err := writeAtomic(p.path, p.merged); err != nil {
				return results, err
			}
		}
		results = append(results, r)
	}
	return results, nil
}

// resolve follows a symlinked settings file (dotfile managers do that) so
// the rename replaces the file it points at, not the link.
func resolve(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, lerr := os.Lstat(path); lerr == nil {
			return "", fmt.Errorf("%s is a symlink to a missing file; remove it or create its target", path)
		}
		return path, nil
	}
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return real, nil
}

func readSettings(path string) ([]byte, bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !st.Mode().IsRegular() {
		return nil, false, fmt.Errorf("%s is not a regular file; sbx only merges into files", path)
	}
	if st.Size() > maxFileSize {
		return nil, false, fmt.Errorf("%s is larger than %d bytes; merge by hand: sbx editor vscode", path, maxFileSize)
	}
	b, err := os.ReadFile(path)
	return b, true, err
}

// writeAtomic writes data to a temporary file next to path, with path's
// permissions (0644 for a new file), syncs it and renames it over path:
// readers see the old file or the new one, never a half-written one.
func writeAtomic(path string, data []byte) (err error) {
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".sbx-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name()) // best effort: the error says what went wrong
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		if err = tmp.Chmod(mode); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	if d, derr := os.Open(filepath.Dir(path)); derr == nil {
		_ = d.Sync() // best effort: the rename is done either way
		d.Close()
	}
	return nil
}

// within tells whether path is root or below it (both real paths).
func within(root, path string) bool {
	return path == root || strings.HasPrefix(path, strings.TrimSuffix(root, "/")+"/")
}
