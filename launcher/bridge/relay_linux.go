package bridge

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// retryEIO is how long a console's relay waits before reading a hung-up
// master again (see Options.Console).
const retryEIO = 50 * time.Millisecond

// consoleWriteTimeout keeps a getty that is not reading from blocking the
// escape: keys that cannot be written in time are dropped.
const consoleWriteTimeout = 2 * time.Second

// copyOut copies the PTY's output to the host terminal until EIO (nobody
// holds the slave any more: nothing is left to read), a deadline (Close,
// or Finish's drain), or another error. A console rides out EIO.
func (b *Bridge) copyOut() {
	defer close(b.outDone)
	defer RestoreOnPanic()
	buf := make([]byte, 64*1024)
	outOK := true
	for {
		n, err := b.o.Master.Read(buf)
		if n > 0 && outOK {
			if _, werr := b.o.Output.Write(buf[:n]); werr != nil {
				if b.o.Console {
					b.end(EndOutput)
					return
				}
				outOK = false // the terminal went away: keep draining so the guest is not blocked
			}
		}
		if b.finishing.Load() {
			b.o.Master.SetReadDeadline(time.Now().Add(DrainIdle)) // best effort
		}
		switch {
		case err == nil:
		case b.o.Console && errors.Is(err, unix.EIO):
			select {
			case <-b.quit:
				return
			case <-time.After(retryEIO):
			}
		default:
			return
		}
	}
}

// copyIn copies keys from the host terminal to the PTY until the host
// terminal hangs up, a console's escape, or a byte on stopR (Close).
func (b *Bridge) copyIn() {
	defer close(b.inDone)
	defer RestoreOnPanic()
	stop, err := RawFd(b.stopR)
	if err != nil {
		return
	}
	fds := []unix.PollFd{{Fd: int32(b.inFd), Events: unix.POLLIN}, {Fd: int32(stop), Events: unix.POLLIN}}
	buf := make([]byte, 32*1024)
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			b.end(EndInput)
			return
		}
		if fds[1].Revents != 0 {
			return
		}
		if fds[0].Revents&unix.POLLNVAL != 0 {
			b.end(EndInput)
			return
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(b.inFd, buf)
		if n > 0 {
			if b.esc != nil && b.esc.seen(buf[:n]) {
				b.end(EndEscape)
				return
			}
			if b.o.Console {
				b.o.Master.SetWriteDeadline(time.Now().Add(consoleWriteTimeout)) // best effort
				b.o.Master.Write(buf[:n])                                        // best effort: nobody may hold the PTY right now
			} else if _, werr := b.o.Master.Write(buf[:n]); werr != nil {
				return // the machine's side is gone; the session's end follows
			}
		}
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
		case err != nil || n == 0:
			b.end(EndInput) // the host terminal hung up; sbx gets SIGHUP for that too
			return
		}
	}
}
