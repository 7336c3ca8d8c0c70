package builder

import "golang.org/x/sys/unix"

// The few Linux system calls the builder needs, kept here so the package
// also builds (and is vetted) elsewhere; sys_other.go has the stubs.

func unmountDetach(path string) error { return unix.Unmount(path, unix.MNT_DETACH) }

func isBtrfs(fs *unix.Statfs_t) bool { return fs.Type == unix.BTRFS_SUPER_MAGIC }

// exchange swaps two paths atomically (renameat2 RENAME_EXCHANGE).
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}
