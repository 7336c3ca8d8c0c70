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
		if err := unmountDetach(m); err != nil && err != unix.EINVAL && err != unix.ENOENT {
			return fmt.Errorf("unmounting %s: %w", m, err)
		}
	}
	if isSubvolume(dir) {
		clearFlags(dir) // best effort: an immutable file stops the delete
		if err := exec.Command("btrfs", "subvolume", "delete", dir).Run(); err == nil {
			return nil
		}
	}
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	// A machine's root may have made files immutable or append-only
	// (chattr +i, +a): clear that, then delete again.
	clearFlags(dir)
	return os.RemoveAll(dir)
}

// clearFlags drops the immutable and append-only flags of every file and
// directory in the tree at dir, following no symbolic link.
func clearFlags(dir string) {
	const immutable, appendOnly = 0x10, 0x20 // FS_IMMUTABLE_FL, FS_APPEND_FL (linux/fs.h)
	const sticky = immutable | appendOnly
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !(d.IsDir() || d.Type().IsRegular()) {
			return nil // best effort: keep walking
		}
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err != nil {
			return nil
		}
		defer unix.Close(fd)
		if fl, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS); err == nil && fl&sticky != 0 {
			unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, fl&^sticky) // best effort
		}
		return nil
	})
}

// isSubvolume tells whether dir is the root of a btrfs subvolume.
func isSubvolume(dir string) bool {
	var fs unix.Statfs_t
	if unix.Statfs(dir, &fs) != nil || !isBtrfs(&fs) {
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
	if unix.Statfs(filepath.Dir(dir), &fs) == nil && isBtrfs(&fs) {
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
