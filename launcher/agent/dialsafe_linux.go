package agent

import (
	"context"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// dialSocket connects to the unix socket at path only if path itself is a
// socket: not a symbolic link (to a host daemon's socket, say), not a FIFO.
// The directory holding the agent's socket is the guest's /run/sbx, which
// the machine's root can write. The socket is opened with O_PATH and
// O_NOFOLLOW, checked, and connected to through /proc/self/fd, so it
// cannot be swapped between the check and the connect.
func dialSocket(ctx context.Context, path string) (net.Conn, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, fmt.Errorf("%s is not a socket; the machine's root may have replaced it (restart the machine: sbx stop, then sbx start)", path)
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", fmt.Sprintf("/proc/self/fd/%d", fd))
}
