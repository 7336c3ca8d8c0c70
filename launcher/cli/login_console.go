package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/sbxdev/sbx/launcher/bridge"
)

// The login console needs two things the run/shell bridge does not do: it
// watches the keys for the ^]^]^] escape, and it survives the PTY's
// hang-ups (getty and login call vhangup(), and a getty restarts after a
// logout, so reads of the master fail with EIO for a moment while the
// session is still wanted). So it has its own small relay; resizing uses
// the bridge's SetSize.

// escapeByte is ^] (GS), the key machinectl uses to leave a console.
const escapeByte = 0x1d

// escapeWindow is how soon after the first ^] the third must come.
const escapeWindow = time.Second

// escapeDetector spots ^] typed three times within escapeWindow, as
// machinectl's PTY forwarder does: any other key starts over.
type escapeDetector struct {
	count int
	first time.Time
	now   func() time.Time
}

// seen reports whether p completes the escape sequence.
func (d *escapeDetector) seen(p []byte) bool {
	now := time.Now
	if d.now != nil {
		now = d.now
	}
	for _, b := range p {
		if b != escapeByte {
			d.count = 0
			continue
		}
		t := now()
		if d.count == 0 || t.Sub(d.first) > escapeWindow {
			d.count, d.first = 1, t
			continue
		}
		d.count++
		if d.count >= 3 {
			return true
		}
	}
	return false
}

// consoleEnd says why a console session ended.
type consoleEnd int

const (
	endEscape   consoleEnd = iota // the user typed ^]^]^]
	endGone                       // the machine went away
	endInputEOF                   // the host terminal hung up
)

// consoleOptions connect a host terminal to a login PTY.
type consoleOptions struct {
	Master *os.File      // the PTY master, non-blocking; closed by runConsole
	In     *os.File      // the host terminal (put in raw mode)
	Out    io.Writer     // where the machine's output goes
	Gone   chan struct{} // closed when the machine is gone
}

// retryEIO is how long the relay waits before reading a hung-up master
// again (see above).
const retryEIO = 50 * time.Millisecond

// runConsole relays until the escape, the end of the machine, or the end
// of the host terminal. The terminal is restored on every path.
func runConsole(o consoleOptions) (consoleEnd, error) {
	defer o.Master.Close()
	if err := o.Master.SetReadDeadline(time.Time{}); err != nil {
		return 0, fmt.Errorf("the console PTY must be non-blocking: %w", err)
	}
	inFd, err := bridge.RawFd(o.In)
	if err != nil {
		return 0, err
	}
	state, err := term.MakeRaw(inFd)
	if err != nil {
		return 0, err
	}
	var restoreOnce sync.Once
	restore := func() { restoreOnce.Do(func() { term.Restore(inFd, state) }) } // best effort
	defer restore()

	quit := make(chan struct{})
	var quitOnce sync.Once
	stop := func() { quitOnce.Do(func() { close(quit) }) }
	defer stop()

	resize := func() {
		if ws, err := unix.IoctlGetWinsize(inFd, unix.TIOCGWINSZ); err == nil {
			bridge.SetSize(o.Master, ws) // best effort: the PTY may be hung up
		}
	}
	resize()
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, unix.SIGWINCH)
	defer signal.Stop(winch)

	outDone := make(chan struct{})
	go func() {
		defer close(outDone)
		defer func() {
			if r := recover(); r != nil {
				restore()
				panic(r)
			}
		}()
		relayOut(o.Master, o.Out, quit)
	}()

	ended := make(chan consoleEnd, 2)
	stopR, stopW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer stopR.Close()
	defer stopW.Close()
	inDone := make(chan struct{})
	go func() {
		defer close(inDone)
		defer func() {
			if r := recover(); r != nil {
				restore()
				panic(r)
			}
		}()
		ended <- relayIn(inFd, stopR, o.Master)
	}()

	var end consoleEnd
loop:
	for {
		select {
		case end = <-ended:
			break loop
		case <-o.Gone:
			end = endGone
			break loop
		case <-outDone:
			end = endInputEOF // the output side failed: the terminal is gone
			break loop
		case <-winch:
			resize()
		}
	}
	stop()
	stopW.Write([]byte{0}) // best effort: wakes the input relay
	<-inDone
	o.Master.SetReadDeadline(time.Now()) // best effort: ends the output relay
	<-outDone
	return end, nil
}

// relayOut copies the machine's output until quit, riding out hang-ups.
func relayOut(master *os.File, out io.Writer, quit <-chan struct{}) {
	buf := make([]byte, 32*1024)
	for {
		select {
		case <-quit:
			return
		default:
		}
		master.SetReadDeadline(time.Now().Add(250 * time.Millisecond)) // best effort
		n, err := master.Read(buf)
		if n > 0 {
			if _, werr := out.Write(buf[:n]); werr != nil {
				return
			}
		}
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, unix.EIO):
			// Nobody holds the terminal right now (vhangup, getty
			// restarting): wait for the next one.
			select {
			case <-quit:
				return
			case <-time.After(retryEIO):
			}
		default:
			return
		}
	}
}

// relayIn copies keys to the machine until the escape sequence, the end of
// the host terminal, or a byte on stop.
func relayIn(inFd int, stop *os.File, master *os.File) consoleEnd {
	stopFd, err := bridge.RawFd(stop)
	if err != nil {
		return endInputEOF
	}
	var esc escapeDetector
	fds := []unix.PollFd{{Fd: int32(inFd), Events: unix.POLLIN}, {Fd: int32(stopFd), Events: unix.POLLIN}}
	buf := make([]byte, 4096)
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return endInputEOF
		}
		if fds[1].Revents != 0 {
			return endEscape // asked to stop; the caller knows the real reason
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(inFd, buf)
		if n > 0 {
			if esc.seen(buf[:n]) {
				return endEscape
			}
			// A getty that is not reading must not block the escape.
			master.SetWriteDeadline(time.Now().Add(2 * time.Second)) // best effort
			master.Write(buf[:n])                                    // best effort: keys typed while nobody holds the PTY are lost
		}
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
		case err != nil || n == 0:
			return endInputEOF
		}
	}
}
