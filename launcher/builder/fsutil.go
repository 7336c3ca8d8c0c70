package builder

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive flock on LockDir/name.lock, waiting for another
// holder (a second create of the same project) to finish. The kernel drops
// it when the process dies, so a crash never leaves a stale lock.
func lock(name string, waiting func()) (release func(), err error) {
	if err := os.MkdirAll(LockDir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(LockDir, name+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == unix.EWOULDBLOCK {
		waiting()
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// mountsUnder lists mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

func unescapeMount(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// removeTree deletes a tree sbx built, first detaching anything a tool left
// mounted inside it, so the delete can never reach the host's /proc, /sys or
// /dev. os.RemoveAll does not follow symbolic links.
func removeTree(dir string) error {
	fi, err := os.Lstat(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory (a symbolic link?); refusing to remove it", dir)
	}
	mounts, err := mountsUnder(dir)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("unmounting %s: %w", m, err)
		}
	}
	if isSubvolume(dir) {
		if err := exec.Command("btrfs", "subvolume", "delete", dir).Run(); err == nil {
			return nil
		}
	}
	return os.RemoveAll(dir)
}

// isSubvolume tells whether dir is the root of a btrfs subvolume.
func isSubvolume(dir string) bool {
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil || fs.Type != unix.BTRFS_SUPER_MAGIC {
		return false
	}
	var st syscall.Stat_t
	if syscall.Lstat(dir, &st) != nil {
		return false
	}
	_, err := exec.LookPath("btrfs")
	return st.Ino == 256 && err == nil
}

// copyTree makes dst a copy of src: a snapshot where src is a btrfs
// subvolume, otherwise cp with reflinks where the filesystem has them.
func copyTree(src, dst string) error {
	var cmd *exec.Cmd
	if isSubvolume(src) {
		cmd = exec.Command("btrfs", "subvolume", "snapshot", src, dst)
	} else {
		cmd = exec.Command("cp", "-a", "--reflink=auto", src, dst)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("copying %s: %v: %s", src, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// newTreeDir creates an empty directory for a root filesystem: a btrfs
// subvolume where the store is btrfs (so later copies are snapshots).
func newTreeDir(dir string) error {
	var fs unix.Statfs_t
	if unix.Statfs(filepath.Dir(dir), &fs) == nil && fs.Type == unix.BTRFS_SUPER_MAGIC {
		if _, err := exec.LookPath("btrfs"); err == nil {
			if exec.Command("btrfs", "subvolume", "create", dir).Run() == nil {
				return nil
			}
		}
	}
	return os.Mkdir(dir, 0o755)
}

// writeFile writes a file inside a root filesystem, resolved inside it.
func writeFile(root, path, content string, mode os.FileMode) error {
	t, err := openTree(root)
	if err != nil {
		return err
	}
	defer t.Close()
	return t.writeFile(path, []byte(content), mode, 0, 0)
}
