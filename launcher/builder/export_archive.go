package builder

import (
	"archive/tar"
	"fmt"
	"io"
	"strings"
	"time"
)

// An exported machine is one tar archive (optionally zstd or gzip
// compressed):
//
//	NAME.nspawn   the machine's settings file, always the first entry
//	rootfs/...    its root filesystem, numeric owners, xattrs and ACLs
//
// Having the settings first lets import pick the name and refuse early.

const (
	rootfsDir       = "rootfs"
	maxSettingsSize = 64 << 10
)

// exportFilter turns the stream of `tar -C TREE .` into an export archive:
// the settings entry first, then every entry renamed under rootfs/.
func exportFilter(name string, settings []byte, m *meter) func(dst io.Writer, src io.Reader) error {
	return func(dst io.Writer, src io.Reader) error {
		tw := tar.NewWriter(dst)
		hdr := &tar.Header{
			Typeflag: tar.TypeReg, Name: name + ".nspawn", Mode: 0o644,
			Size: int64(len(settings)), ModTime: time.Now().Truncate(time.Second), Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(settings); err != nil {
			return err
		}
		tr := tar.NewReader(src)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("reading tar's output: %w", err)
			}
			h.Name = underRootfs(h.Name)
			if h.Typeflag == tar.TypeLink {
				h.Linkname = underRootfs(h.Linkname)
			}
			h.Xattrs = nil //nolint:staticcheck // the same records are in PAXRecords
			if err := tw.WriteHeader(h); err != nil {
				return fmt.Errorf("writing %s: %w", h.Name, err)
			}
			if _, err := io.Copy(m.writer(tw), tr); err != nil {
				return err
			}
		}
		return tw.Close()
	}
}

// underRootfs maps "./etc/passwd" (tar -C TREE .) to "rootfs/etc/passwd".
func underRootfs(name string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(name, "."), "/")
	if rel == "" {
		return rootfsDir + "/"
	}
	return rootfsDir + "/" + rel
}

// readSettingsEntry reads the first entry of an export archive: the
// machine's name and its settings file.
func readSettingsEntry(tr *tar.Reader) (name string, settings []byte, err error) {
	h, err := tr.Next()
	if err != nil {
		return "", nil, archiveErrorf("not an sbx export (no first entry): %v", err)
	}
	name, ok := strings.CutSuffix(h.Name, ".nspawn")
	if !ok || h.Typeflag != tar.TypeReg || !nameRE().MatchString(name) {
		return "", nil, archiveErrorf("not an sbx export: its first entry is %q, not NAME.nspawn", h.Name)
	}
	if h.Size > maxSettingsSize {
		return "", nil, archiveErrorf("%s is %d bytes; that is no sbx settings file", h.Name, h.Size)
	}
	settings, err = io.ReadAll(tr)
	if err != nil {
		return "", nil, archiveErrorf("reading %s: %v", h.Name, err)
	}
	return name, settings, nil
}

// archiveErrorf refuses an archive for its content.
func archiveErrorf(format string, a ...any) error {
	return failf(125, "import only archives made by sbx export that you trust", format, a...)
}

// entryChecker validates the rootfs entries of an archive one by one,
// remembering the symbolic links it has let through: an entry below one
// of those would be written wherever the link points, on the host.
type entryChecker struct {
	symlinks map[string]bool // relative paths of symlinks extracted so far
}

func newEntryChecker() *entryChecker { return &entryChecker{symlinks: map[string]bool{}} }

// check validates h and returns the name (and hard link target) it should
// have when extracted with tar -C BUILD: "./etc/passwd". It refuses
// absolute paths, "..", entries outside rootfs/, entries below a symbolic
// link, device nodes outside /dev and entry types a root filesystem does
// not need.
func (c *entryChecker) check(h *tar.Header) (name, link string, err error) {
	rel, err := rootfsPath(h.Name)
	if err != nil {
		return "", "", err
	}
	if err := c.notBelowSymlink(rel, h.Name); err != nil {
		return "", "", err
	}
	delete(c.symlinks, rel) // replaced by this entry (a directory, say)
	if rel == "" && h.Typeflag != tar.TypeDir {
		return "", "", archiveErrorf("%s must be a directory", h.Name)
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeFifo:
	case tar.TypeSymlink:
		c.symlinks[rel] = true
	case tar.TypeLink:
		target, err := rootfsPath(h.Linkname)
		if err != nil {
			return "", "", archiveErrorf("hard link %s: %v", h.Name, err)
		}
		if err := c.notBelowSymlink(target, h.Linkname); err != nil {
			return "", "", err
		}
		if target == "" {
			return "", "", archiveErrorf("hard link %s points at the root directory", h.Name)
		}
		if c.symlinks[target] {
			c.symlinks[rel] = true // a hard link to a symlink is a symlink
		}
		link = "./" + target
	case tar.TypeChar, tar.TypeBlock:
		if !strings.HasPrefix(rel, "dev/") {
			return "", "", archiveErrorf("device node %s outside /dev", h.Name)
		}
	default:
		return "", "", archiveErrorf("%s has entry type %q, which a machine's files do not need", h.Name, h.Typeflag)
	}
	return "./" + rel, link, nil
}

// rootfsPath checks an archive path "rootfs/a/b" (or "rootfs/") and
// returns "a/b" (or "").
func rootfsPath(p string) (string, error) {
	rest, ok := strings.CutPrefix(p, rootfsDir)
	if !ok || (rest != "" && rest[0] != '/') {
		return "", archiveErrorf("%q is outside %s/", p, rootfsDir)
	}
	rest = strings.TrimSuffix(strings.TrimPrefix(rest, "/"), "/")
	if rest == "" {
		return "", nil
	}
	for _, part := range strings.Split(rest, "/") {
		if part == "" || part == "." || part == ".." {
			return "", archiveErrorf("%q is not a clean relative path", p)
		}
	}
	return rest, nil
}

// notBelowSymlink refuses rel when one of its parents is a symlink.
func (c *entryChecker) notBelowSymlink(rel, shown string) error {
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && c.symlinks[rel[:i]] {
			return archiveErrorf("%s lies below the symbolic link %s/%s", shown, rootfsDir, rel[:i])
		}
	}
	return nil
}

// copyChecked re-writes the rootfs entries of tr to dst for tar -x, each
// one checked first. It stops at the first entry refused.
func copyChecked(tr *tar.Reader, dst io.Writer) error {
	tw := tar.NewWriter(dst)
	c := newEntryChecker()
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return archiveErrorf("reading the archive: %v", err)
		}
		name, link, err := c.check(h)
		if err != nil {
			return err
		}
		h.Name, h.Linkname = name, cutLink(h, link)
		h.Xattrs = nil //nolint:staticcheck // the same records are in PAXRecords
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("passing %s on: %w", name, err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
	return tw.Close()
}

// cutLink is the link target to write: the checked one for hard links,
// the original for symbolic links (they resolve inside the machine).
func cutLink(h *tar.Header, checked string) string {
	if h.Typeflag == tar.TypeLink {
		return checked
	}
	return h.Linkname
}
