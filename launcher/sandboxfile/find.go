package sandboxfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxFileSize bounds what Load reads; a .sandbox is a few lines of text.
const maxFileSize = 1 << 20

// Find returns the path of the nearest .sandbox in dir or any parent of it,
// or an error wrapping ErrNotFound.
func Find(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", FileName, err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		_, err := os.Lstat(p)
		switch {
		case err == nil:
			return p, nil
		case !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", fmt.Errorf("looking for %s: %w", p, err)
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("%w (searched from %s up to /)", ErrNotFound, dir)
		}
	}
}

// Load reads the .sandbox at path once and parses it. The file's path is
// resolved to its real path (through symlinked directories); a .sandbox that
// is itself a symlink, or not a regular file, is refused so the trusted path
// is the file that is read.
func Load(path, home string) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	real := filepath.Join(dir, filepath.Base(abs))
	data, err := readRegular(real)
	if err != nil {
		return nil, err
	}
	return Parse(real, data, home)
}

func readRegular(path string) ([]byte, error) {
	fd, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s is a symbolic link; sbx only reads a regular file (replace the link with a copy of its target)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(fd, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes; a .sandbox is a short settings file", path, maxFileSize)
	}
	return data, nil
}

// systemRoots cannot be project roots: binding them into a machine at the
// same path would replace the machine's own system.
var systemRoots = []string{
	"/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
	"/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp",
	"/usr", "/usr/local", "/var", "/var/tmp",
}

// systemTrees cannot contain project roots.
var systemTrees = []string{"/proc", "/sys", "/dev", "/run", "/boot", "/var/lib/machines", "/usr/local/lib/sbx"}

// CheckRoot refuses directories that cannot be a project root: system
// directories, which the machine needs for itself, and the home directory
// itself, which would put every file the user has into the machine. Both
// root and home are compared by their real paths.
func CheckRoot(root, home string) error {
	r := realOrClean(root)
	if !filepath.IsAbs(r) {
		return fmt.Errorf("project root %s is not an absolute path", root)
	}
	for _, s := range systemRoots {
		if r == s {
			return fmt.Errorf("%s cannot be a project root: the machine needs its own %s; use a project directory such as ~/src/NAME", r, r)
		}
	}
	for _, t := range systemTrees {
		if strings.HasPrefix(r, t+"/") {
			return fmt.Errorf("%s cannot be a project root: it is inside the system directory %s; use a project directory such as ~/src/NAME", r, t)
		}
	}
	if home != "" && r == realOrClean(home) {
		return fmt.Errorf("your home directory %s cannot be a project root: it would put all your files into the machine; use a project directory such as ~/src/NAME", r)
	}
	return nil
}

func realOrClean(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}
