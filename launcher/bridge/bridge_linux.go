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

// Terminating are the signals that end a terminal session from outside
// (kill, a closed terminal window, a tool stopping its children). A caller
// catches them while the terminal is raw and ends with Close.
var Terminating = []os.Signal{unix.SIGTERM, unix.SIGHUP, unix.SIGINT, unix.SIGQUIT}

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
	// Console is for a machine's login console: ^]^]^] typed within a
	// second ends the relay (EndEscape), and hang-ups of the PTY are
	// ridden out (getty and login call vhangup(), and a getty restarts
	// after a logout, so reads of the master fail with EIO for a moment
	// while the session is still wanted). Keys typed while nobody holds
	// the PTY are lost.
	Console bool
}

// End says why a relay ended on its own.
type End int

const (
	EndEscape End = iota + 1 // the user typed ^]^]^] (Console)
	EndInput                 // the host terminal hung up
	EndOutput                // the host terminal no longer takes output (Console)
)

// Bridge is a running connection between a host terminal and a PTY master.
type Bridge struct {
	o     Options
	inFd  int
	esc   *escapeDetector
	stopR *os.File // poll wake-up for the input copier
	stopW *os.File
	winch chan os.Signal

	modeMu sync.Mutex
	saved  *term.State // the mode to give the terminal back in
	isRaw  bool
	closed bool

	quit      chan struct{}
	inDone    chan struct{}
	outDone   chan struct{}
	ended     chan struct{}
	why       atomic.Int32
	endOnce   sync.Once
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
	b := &Bridge{o: o, inFd: -1, quit: make(chan struct{}), inDone: make(chan struct{}),
		outDone: make(chan struct{}), ended: make(chan struct{})}
	if o.Console {
		b.esc = &escapeDetector{}
	}
	if o.Input != nil {
		fd, err := RawFd(o.Input)
		if err != nil {
			return nil, err
		}
		if b.stopR, b.stopW, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("bridge: %w", err)
		}
		b.inFd = fd
		if err := b.makeRaw(); err != nil {
			b.stopR.Close()
			b.stopW.Close()
			return nil, fmt.Errorf("putting the terminal in raw mode: %w", err)
		}
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

// Raw reports whether the bridge reads keys from a host terminal in raw
// mode (then keys such as Ctrl-C and Ctrl-Z go to the machine's PTY).
func (b *Bridge) Raw() bool { return b.inFd >= 0 }

// Ended is closed when the relay ended on its own; Why says how.
func (b *Bridge) Ended() <-chan struct{} { return b.ended }

// Why is the reason the relay ended, once Ended is closed.
func (b *Bridge) Why() End { return End(b.why.Load()) }

func (b *Bridge) end(why End) {
	b.endOnce.Do(func() {
		b.why.Store(int32(why))
		close(b.ended)
	})
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
		b.modeMu.Lock()
		b.closed = true
		b.modeMu.Unlock()
		b.Restore()
		forget(b)
		b.o.Master.Close() // best effort
	})
}

// Restore puts the host terminal back the way Start found it. Idempotent
// and safe from any goroutine; Resume makes it raw again.
func (b *Bridge) Restore() {
	b.modeMu.Lock()
	defer b.modeMu.Unlock()
	if b.isRaw {
		term.Restore(b.inFd, b.saved) // best effort
		b.isRaw = false
	}
}

// Resume puts the host terminal in raw mode again after Restore (sbx was
// continued after a stop) and takes the size it may have got meanwhile.
// The mode it finds is the one given back next time.
func (b *Bridge) Resume() {
	if b.inFd >= 0 {
		b.makeRaw() // best effort: keys stay cooked if it fails
	}
	if b.o.Size != nil {
		b.Resize()
	}
}

func (b *Bridge) makeRaw() error {
	b.modeMu.Lock()
	defer b.modeMu.Unlock()
	if b.closed || b.isRaw {
		return nil
	}
	st, err := term.MakeRaw(b.inFd)
	if err != nil {
		return err
	}
	b.saved, b.isRaw = st, true
	remember(b)
	return nil
}

// Stop is what sbx does on a stop signal (SIGTSTP from kill: in raw mode
// Ctrl-Z is a key for the machine, as with ssh): it gives the terminal
// back, stops sbx with sig as a shell's job stops, and once continued
// takes the terminal again. The machine's side keeps running, as an ssh
// session's remote side does.
func (b *Bridge) Stop(sig unix.Signal) {
	b.Restore()
	StopSelf(sig) // best effort
	b.Resume()
}

func (b *Bridge) followSize() {
	defer RestoreOnPanic()
	for {
		select {
		case <-b.winch:
			b.Resize()
		case <-b.quit:
			return
		}
	}
}
