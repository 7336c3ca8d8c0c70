package machine

import (
	"context"
	"fmt"
	"os"

	"github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"
)

// OpenLogin asks machined for a login prompt in the running machine name,
// as `machinectl login` does: machined allocates a PTY inside the machine,
// starts container-getty@N.service on it and hands over the master. The
// returned file is non-blocking (reads can time out) and owned by the
// caller; path is the PTY's name inside the machine (/dev/pts/N).
// Polkit: org.freedesktop.machine1.login.
func (b *Bus) OpenLogin(ctx context.Context, name string) (master *os.File, path string, err error) {
	if !b.conn.SupportsUnixFDs() {
		return nil, "", fmt.Errorf("opening a login prompt in %s: this D-Bus connection cannot pass file descriptors", name)
	}
	var fd dbus.UnixFD
	err = b.machined().CallWithContext(ctx, machinedMgr+".OpenMachineLogin", 0, name).Store(&fd, &path)
	if IsDBusError(err, "org.freedesktop.machine1.NoSuchMachine") {
		return nil, "", fmt.Errorf("machine %s is not running", name)
	}
	if err != nil {
		return nil, "", explain(err, "opening a login prompt in "+name)
	}
	if err := unix.SetNonblock(int(fd), true); err != nil {
		unix.Close(int(fd)) // best effort
		return nil, "", fmt.Errorf("opening a login prompt in %s: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "login pty of "+name), path, nil
}
