package builder

import (
	"net"

	"golang.org/x/sys/unix"
)

// The few Linux system calls the builder needs, kept here so the package
// also builds (and is vetted) elsewhere; sys_other.go has the stubs.

// ucred is a peer's credentials on a Unix socket.
type ucred = unix.Ucred

func unmountDetach(path string) error { return unix.Unmount(path, unix.MNT_DETACH) }

func isBtrfs(fs *unix.Statfs_t) bool { return fs.Type == unix.BTRFS_SUPER_MAGIC }

// exchange swaps two paths atomically (renameat2 RENAME_EXCHANGE).
func exchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// peerCred returns the credentials of the process at the other end.
func peerCred(c *net.UnixConn) (*ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, cerr
}
