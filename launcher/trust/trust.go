// Package trust records which .sandbox files the user has allowed or denied,
// like `direnv allow` but stricter: an allow binds the file's real path and
// the sha256 of its content, so editing one byte, or copying or moving the
// file, makes it untrusted again. A deny is bound to the path only and wins
// over an allow.
//
// Each decision is one small file, named by the sha256 of the real path and
// written atomically (temporary file + rename), so shells deciding at the
// same time never corrupt the store.
package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// Status is what the store says about one .sandbox file.
type Status int

// The trust states of a .sandbox file.
const (
	Unknown Status = iota // never allowed or denied: untrusted
	Allowed               // allowed with exactly this content at this path
	Denied                // denied; wins over any allow
	Changed               // allowed once, but the content differs now
)

// String returns the word `sbx trust status` prints.
func (s Status) String() string {
	switch s {
	case Allowed:
		return "allowed"
	case Denied:
		return "denied"
	case Changed:
		return "changed"
	}
	return "untrusted"
}

// Store is the trust store: Dir/allow/KEY and Dir/deny/KEY, where KEY is the
// hex sha256 of the file's real path.
type Store struct{ Dir string }

// Entry is one recorded decision.
type Entry struct {
	Path    string    // real path of the .sandbox
	Hash    string    // content hash allowed; empty for a deny
	Status  Status    // Allowed, Denied, or Changed when the file on disk differs now
	When    time.Time // when the decision was recorded
	Missing bool      // the file no longer exists at Path
}

// record is the on-disk form of an Entry.
type record struct {
	Path string    `json:"path"`
	Hash string    `json:"hash,omitempty"`
	When time.Time `json:"when"`
}

// Open returns the store under $XDG_DATA_HOME/sbx/trust, or
// ~/.local/share/sbx/trust when XDG_DATA_HOME is unset or not absolute (as
// the XDG spec says). It does not create anything.
func Open(env map[string]string) (Store, error) {
	if d := env["XDG_DATA_HOME"]; filepath.IsAbs(d) {
		return Store{Dir: filepath.Join(d, "sbx", "trust")}, nil
	}
	home := env["HOME"]
	if !filepath.IsAbs(home) {
		return Store{}, errors.New("cannot find the trust store: neither XDG_DATA_HOME nor HOME is set to an absolute path; set HOME")
	}
	return Store{Dir: filepath.Join(home, ".local", "share", "sbx", "trust")}, nil
}

// Check returns the status of f, by its real path and content hash. It
// does not look at ownership or permissions: callers that act on the file
// also call CheckOwner.
func (s Store) Check(f *sandboxfile.File) (Status, error) {
	if _, ok, err := s.read("deny", f.Path); err != nil || ok {
		return Denied, err
	}
	rec, ok, err := s.read("allow", f.Path)
	switch {
	case err != nil:
		return Unknown, err
	case !ok:
		return Unknown, nil
	case rec.Hash != f.Hash:
		return Changed, nil
	}
	return Allowed, nil
}

// Allow records that f, with exactly its current content, is trusted, and
// clears a deny of its path.
func (s Store) Allow(f *sandboxfile.File) error {
	if f.Hash == "" || !filepath.IsAbs(f.Path) {
		return fmt.Errorf("allowing %s: not a loaded .sandbox file", f.Path)
	}
	if err := s.write("allow", record{Path: f.Path, Hash: f.Hash, When: time.Now().UTC()}); err != nil {
		return err
	}
	err := os.Remove(s.file("deny", f.Path))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clearing the deny of %s: %w; remove %s by hand", f.Path, err, s.file("deny", f.Path))
	}
	return nil
}

// Deny records that the .sandbox at path must not be acted on, whatever its
// content. path is resolved to its real path; the file need not parse.
func (s Store) Deny(path string) error {
	real, err := RealPath(path)
	if err != nil {
		return err
	}
	if err := s.write("deny", record{Path: real, When: time.Now().UTC()}); err != nil {
		return err
	}
	_ = os.Remove(s.file("allow", real)) // best effort: the deny wins anyway
	return nil
}

// List returns every recorded decision, sorted by path. An allow whose file
// now has other content is reported as Changed.
func (s Store) List() ([]Entry, error) {
	byPath := map[string]Entry{}
	for _, kind := range []string{"allow", "deny"} {
		dir := filepath.Join(s.Dir, kind)
		names, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the trust store: %w", err)
		}
		for _, n := range names {
			rec, ok := readRecord(filepath.Join(dir, n.Name()))
			if !ok || key(rec.Path) != n.Name() {
				continue // a temporary file or something not ours
			}
			e := Entry{Path: rec.Path, Hash: rec.Hash, Status: Denied, When: rec.When}
			if kind == "allow" {
				if _, denied := byPath[rec.Path]; denied {
					continue
				}
				e.Status = Allowed
			}
			e.Missing = currentState(&e)
			byPath[rec.Path] = e
		}
	}
	entries := make([]Entry, 0, len(byPath))
	for _, e := range byPath {
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	return entries, nil
}

// currentState marks an allowed entry Changed when the file's content
// differs now, and reports whether the file is gone.
func currentState(e *Entry) (missing bool) {
	data, err := os.ReadFile(e.Path)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	if e.Status == Allowed {
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != e.Hash {
			e.Status = Changed
		}
	}
	return false
}

// RealPath is the absolute path of a .sandbox with its directory's symlinks
// resolved: the path trust is recorded under. A .sandbox that is itself a
// symlink keeps its own name, as sandboxfile.Load refuses it anyway.
func RealPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", path, err)
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

func key(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:])
}

func (s Store) file(kind, path string) string { return filepath.Join(s.Dir, kind, key(path)) }

// read returns the record of kind for path; ok is false when there is none.
func (s Store) read(kind, path string) (record, bool, error) {
	data, err := os.ReadFile(s.file(kind, path))
	if errors.Is(err, fs.ErrNotExist) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, fmt.Errorf("reading the trust store: %w", err)
	}
	var rec record
	if json.Unmarshal(data, &rec) != nil || rec.Path != path {
		// A damaged entry trusts nothing; allow or deny again rewrites it.
		return record{}, false, nil
	}
	return rec, true, nil
}

func readRecord(file string) (record, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return record{}, false
	}
	var rec record
	if json.Unmarshal(data, &rec) != nil || rec.Path == "" {
		return record{}, false
	}
	return rec, true
}

// write stores rec atomically: a reader sees the old entry or the new one,
// never a partial file.
func (s Store) write(kind string, rec record) error {
	dir := filepath.Join(s.Dir, kind)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating the trust store: %w", err)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding trust entry: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the trust store: %w", err)
	}
	defer os.Remove(tmp.Name()) // best effort: gone after the rename anyway
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the trust store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the trust store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the trust store: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.file(kind, rec.Path)); err != nil {
		return fmt.Errorf("writing the trust store: %w", err)
	}
	return nil
}

// OwnerError is a .sandbox that others could have written.
type OwnerError struct {
	Path   string
	Reason string // why it is refused
	Fix    string // the command that fixes it
}

func (e *OwnerError) Error() string { return e.Path + " " + e.Reason }

// Hint is the fix, for the CLI's hint line (launcher/hint).
func (e *OwnerError) Hint() string { return e.Fix }
