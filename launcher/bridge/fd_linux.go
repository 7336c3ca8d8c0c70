package bridge

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// RawFd returns f's descriptor without switching it to blocking mode (as
// f.Fd() would, which would change the user's terminal for everyone).
func RawFd(f *os.File) (int, error) {
	if f == nil {
		return -1, errors.New("no file")
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("using %s: %w", f.Name(), err)
	}
	fd := -1
	if err := sc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, fmt.Errorf("using %s: %w", f.Name(), err)
	}
	return fd, nil
}

// IsTerminal reports whether f is a terminal, leaving its mode alone; a
// nil f is not one.
func IsTerminal(f *os.File) bool {
	fd, err := RawFd(f)
	return err == nil && term.IsTerminal(fd)
}

// SetSize sets the window size of a terminal without touching its
// blocking mode.
func SetSize(f *os.File, ws *unix.Winsize) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := sc.Control(func(fd uintptr) { ierr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, ws) }); err != nil {
		return err
	}
	return ierr
}

// checkNonblocking makes sure reads of f can time out: its descriptor is
// non-blocking and the runtime poller manages it.
func checkNonblocking(f *os.File) error {
	fd, err := RawFd(f)
	if err != nil {
		return err
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err == nil && fl&unix.O_NONBLOCK == 0 {
		err = errors.New("descriptor is in blocking mode")
	}
	if err == nil {
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		return fmt.Errorf("bridge: the PTY master must be non-blocking (os.NewFile of a non-blocking descriptor): %w", err)
	}
	return nil
}

// Width is the number of columns of terminal f, 0 when unknown.
func Width(f *os.File) int {
	fd, err := RawFd(f)
	if err != nil {
		return 0
	}
	w, _, err := term.GetSize(fd)
	if err != nil {
		return 0
	}
	return w
}
