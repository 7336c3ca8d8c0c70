package bridge

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// After the command has exited, output still in flight is read until the
// PTY reports EIO (nobody holds its slave any more). A background process
// may keep the slave open: then stop after DrainIdle without output, and
// after DrainMax in any case.
const (
	DrainIdle = 100 * time.Millisecond
	DrainMax  = 2 * time.Second
)

// Options say what to connect.
type Options struct {
	// Master is the PTY master. It must be non-blocking (os.NewFile of a
	// non-blocking descriptor) so that draining can time out. The bridge
	// owns it and closes it in Close.
	Master *os.File
	// Input is the host terminal to read keys from; it is put in raw mode.
	// nil when the host's stdin is not a terminal.
	Input *os.File
	// Output receives what the PTY prints (the host terminal).
	Output *os.File
	// Size is the host terminal whose size the PTY follows; nil for none.
	Size *os.File
}

// Bridge is a running connection between a host terminal and a PTY master.
type Bridge struct {
	o         Options
	inFd      int
	raw       *term.State
	restoreMu sync.Mutex
	stopR     *os.File // poll wake-up for the input copier
	stopW     *os.File
	winch     chan os.Signal
	quit      chan struct{}
	inDone    chan struct{}
	outDone   chan struct{}
	finishing atomic.Bool
	closeOnce sync.Once
}

// Start begins bridging. The caller must call Finish (or Close) on every
// path; Start itself leaves nothing changed when it fails.
func Start(o Options) (*Bridge, error) {
	if o.Master == nil || o.Output == nil {
		return nil, errors.New("bridge: master and output are required")
	}
	if err := checkNonblocking(o.Master); err != nil {
		return nil, err
	}
	b := &Bridge{o: o, inFd: -1, quit: make(chan struct{}), inDone: make(chan struct{}), outDone: make(chan struct{})}
	if o.Input != nil {
		fd, err := RawFd(o.Input)
		if err != nil {
			return nil, err
		}
		if b.stopR, b.stopW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("bridge: %w", err)
		}
		if b.raw, err = term.MakeRaw(fd); err != nil {
			b.stopR.Close()
			b.stopW.Close()
			return nil, fmt.Errorf("putting the terminal in raw mode: %w", err)
		}
		b.inFd = fd
		go b.copyIn()
	} else {
		close(b.inDone)
	}
	if o.Size != nil {
		b.winch = make(chan os.Signal, 1)
		signal.Notify(b.winch, unix.SIGWINCH)
		b.Resize() // the size may have changed since the request was sent
		go b.followSize()
	}
	go b.copyOut()
	return b, nil
}

// Resize copies the host terminal's size to the PTY (the guest's
// foreground program then gets SIGWINCH from the kernel).
func (b *Bridge) Resize() {
	sfd, err := RawFd(b.o.Size)
	if err != nil {
		return
	}
	ws, err := unix.IoctlGetWinsize(sfd, unix.TIOCGWINSZ)
	if err != nil {
		return
	}
	SetSize(b.o.Master, ws) // best effort: the PTY may be gone
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

// Finish is called once the command has exited: it reads the output still
// in flight (see DrainIdle), stops the copiers and restores the terminal.
func (b *Bridge) Finish() {
	b.finishing.Store(true)
	b.o.Master.SetReadDeadline(time.Now().Add(DrainIdle)) // best effort
	select {
	case <-b.outDone:
	case <-time.After(DrainMax):
		b.o.Master.SetReadDeadline(time.Now()) // best effort
		<-b.outDone
	}
	b.Close()
}

// Close stops bridging at once, restores the terminal and closes Master.
// Safe to call more than once.
func (b *Bridge) Close() {
	b.closeOnce.Do(func() {
		close(b.quit)
		if b.winch != nil {
			signal.Stop(b.winch)
		}
		if b.stopW != nil {
			b.stopW.Write([]byte{0}) // best effort: wakes the input copier
			<-b.inDone
			b.stopR.Close()
			b.stopW.Close()
		}
		b.o.Master.SetReadDeadline(time.Now()) // best effort: ends the output copier
		<-b.outDone
		b.Restore()
		b.o.Master.Close() // best effort
	})
}

// Restore puts the host terminal back the way Start found it. Idempotent
// and safe from any goroutine.
func (b *Bridge) Restore() {
	b.restoreMu.Lock()
	defer b.restoreMu.Unlock()
	if b.raw != nil {
		term.Restore(b.inFd, b.raw) // best effort
		b.raw = nil
	}
}

// RestoreOnPanic is deferred by every goroutine that runs while the
// terminal is raw: a panic anywhere would otherwise kill the process and
// leave the user's terminal unusable.
func (b *Bridge) RestoreOnPanic() {
	if r := recover(); r != nil {
		b.Restore()
		panic(r)
	}
}

func (b *Bridge) copyOut() {
	defer close(b.outDone)
	defer b.RestoreOnPanic()
	buf := make([]byte, 64*1024)
	outOK := true
	for {
		n, err := b.o.Master.Read(buf)
		if n > 0 && outOK {
			if _, werr := b.o.Output.Write(buf[:n]); werr != nil {
				outOK = false // the terminal went away: keep draining so the guest is not blocked
			}
		}
		if b.finishing.Load() {
			b.o.Master.SetReadDeadline(time.Now().Add(DrainIdle)) // best effort
		}
		if err != nil {
			return // EIO: the slave is closed everywhere; or a deadline
		}
	}
}

func (b *Bridge) copyIn() {
	defer close(b.inDone)
	defer b.RestoreOnPanic()
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
			return
		}
		if fds[1].Revents != 0 || fds[0].Revents&unix.POLLNVAL != 0 {
			return
		}
		if fds[0].Revents == 0 {
			continue
		}
		n, err := unix.Read(b.inFd, buf)
		if n > 0 {
			if _, werr := b.o.Master.Write(buf[:n]); werr != nil {
				return
			}
		}
		switch {
		case err == unix.EINTR || err == unix.EAGAIN:
		case err != nil || n == 0:
			return // the host terminal hung up; sbx gets SIGHUP for that
		}
	}
}

func (b *Bridge) followSize() {
	defer b.RestoreOnPanic()
	for {
		select {
		case <-b.winch:
			b.Resize()
		case <-b.quit:
			return
		}
	}
}

// RawFd returns f's descriptor without switching it to blocking mode (as
// f.Fd() would, which would change the user's terminal for everyone).
func RawFd(f *os.File) (int, error) {
	sc, err := f.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	if err := sc.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return -1, err
	}
	return fd, nil
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
