package builder

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// tree is a machine's root filesystem opened for root's edits. Its root can
// write anything in it (guest root, or the author of an imported archive),
// so every path is resolved inside it (openat2 RESOLVE_IN_ROOT through
// filepath-securejoin): a symbolic link "etc -> /etc" in the tree means
// TREE/etc, never the host's /etc. Files are created by name in a parent
// directory handle with O_NOFOLLOW, read only when regular, and bounded.
type tree struct {
	dir  *os.File // O_PATH handle of the tree's root
	path string   // for messages
}

// maxTreeFile bounds what root reads from a file in a tree (passwd, group,
// agent.conf, bash.bashrc…): a guest can make any of them huge.
const maxTreeFile = 8 << 20

func openTree(path string) (*tree, error) {
	f, err := os.OpenFile(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the machine's tree: %w", err)
	}
	return &tree{dir: f, path: path}, nil
}

func (t *tree) Close() error { return t.dir.Close() }

// show is rel as a path inside the machine, for messages.
func (t *tree) show(rel string) string { return "/" + strings.TrimPrefix(rel, "/") }

// mkdirAll creates directory rel (and its parents) inside the tree and
// returns a handle to it.
func (t *tree) mkdirAll(rel string, mode os.FileMode) (*os.File, error) {
	d, err := pathrs.MkdirAllHandle(t.dir, rel, mode)
	if err != nil {
		return nil, fmt.Errorf("creating %s in the machine: %w", t.show(rel), err)
	}
	return d, nil
}

// parent returns a handle to rel's directory, created if missing, and
// rel's last component.
func (t *tree) parent(rel string) (*os.File, string, error) {
	rel = strings.Trim(filepath.Clean("/"+rel), "/")
	base := filepath.Base(rel)
	if rel == "" || base == "." || base == ".." {
		return nil, "", fmt.Errorf("invalid path %q in the machine", rel)
	}
	d, err := t.mkdirAll(filepath.Dir(rel), 0o755)
	return d, base, err
}

// writeFile replaces rel with a new regular file (whatever was there: a
// symbolic link, a FIFO; not a directory). The new file is written under a
// temporary name, synced and renamed over the old one.
func (t *tree) writeFile(rel string, content []byte, mode os.FileMode, uid, gid int) error {
	d, base, err := t.parent(rel)
	if err != nil {
		return err
	}
	defer d.Close()
	dfd := int(d.Fd())
	tmp := ".sbx-tmp-" + base
	unix.Unlinkat(dfd, tmp, 0) // best effort: a leftover of a crash
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(mode.Perm()))
	if err != nil {
		return fmt.Errorf("writing %s in the machine: %w", t.show(rel), err)
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(content)
	if err == nil {
		err = f.Chmod(mode) // not masked by the umask
	}
	if err == nil && (uid != 0 || gid != 0) {
		err = f.Chown(uid, gid)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(dfd, tmp, dfd, base)
	}
	if err != nil {
		unix.Unlinkat(dfd, tmp, 0) // best effort
		return fmt.Errorf("writing %s in the machine: %w", t.show(rel), err)
	}
	return nil
}

// errNotRegular means a tree path is something other than a regular file.
var errNotRegular = errors.New("not a regular file")

// open opens regular file rel (symbolic links followed inside the tree)
// with flags; anything else (a FIFO, a device, a directory) is refused.
func (t *tree) open(rel string, flags int) (*os.File, os.FileInfo, error) {
	h, err := pathrs.OpenatInRoot(t.dir, rel)
	if err != nil {
		return nil, nil, err
	}
	defer h.Close()
	fi, err := h.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s in the machine: %w", t.show(rel), errNotRegular)
	}
	f, err := pathrs.Reopen(h, flags|unix.O_CLOEXEC|unix.O_NONBLOCK)
	return f, fi, err
}

// readFile reads regular file rel, at most maxTreeFile bytes.
func (t *tree) readFile(rel string) ([]byte, error) {
	f, _, err := t.open(rel, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, maxTreeFile, t.show(rel))
}

// readBounded reads r to its end, refusing more than max bytes.
func readBounded(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", what, max)
	}
	return data, nil
}

// exists tells whether rel resolves to anything inside the tree.
func (t *tree) exists(rel string) bool {
	h, err := pathrs.OpenatInRoot(t.dir, rel)
	if err == nil {
		h.Close()
	}
	return err == nil
}

// isDir tells whether rel resolves to a directory inside the tree.
func (t *tree) isDir(rel string) bool {
	h, err := pathrs.OpenatInRoot(t.dir, rel)
	if err != nil {
		return false
	}
	defer h.Close()
	fi, err := h.Stat()
	return err == nil && fi.IsDir()
}

// appendOnce appends block to regular file rel (created if missing)
// unless the file holds hookMark already.
func (t *tree) appendOnce(rel, block string) error {
	data, err := t.readFile(rel)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return t.writeFile(rel, []byte("\n"+block), 0o644, 0, 0)
	case err != nil:
		return err
	case bytes.Contains(data, []byte(hookMark)):
		return nil
	}
	f, _, err := t.open(rel, unix.O_WRONLY|unix.O_APPEND)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + block)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// symlink makes rel a symbolic link to target, replacing what was there
// (but a directory).
func (t *tree) symlink(target, rel string) error {
	d, base, err := t.parent(rel)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Unlinkat(int(d.Fd()), base, 0); err != nil && err != unix.ENOENT {
		return fmt.Errorf("replacing %s in the machine: %w", t.show(rel), err)
	}
	return unix.Symlinkat(target, int(d.Fd()), base)
}
