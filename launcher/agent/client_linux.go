package agent

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/sbxdev/sbx/launcher/bridge"
	"golang.org/x/sys/unix"
)

// Request is a command to run in the machine.
type Request struct {
	Argv []string // Argv[0] is looked up in the guest's PATH (from Env, or the default)
	Env  []string // built by the host; the agent adds HOME/USER/LOGNAME/SHELL, PATH and TERM defaults
	Dir  string   // working directory in the guest; must exist there; empty: the user's home
	// DirFallback is used instead of a Dir the guest does not have (and
	// the command's stderr is told so); empty: such a Dir is an error.
	DirFallback string
	Root        bool // run as root in the guest instead of as the caller
	Login       bool // argv[0] gets a leading '-' (login shell)
}

// Stdio are the caller's streams. A nil stream reads from or writes to
// /dev/null.
type Stdio struct{ In, Out, Err *os.File }

// ErrUnavailable is wrapped by errors from Run and Ping when the agent's
// socket cannot be reached (missing, or nobody listening): the machine is
// not running and the caller should start it.
var ErrUnavailable = errors.New("the machine is not running")

// StatusFailure is the status Run returns with an error: sbx itself failed.
const StatusFailure = 125

// Run executes req in the machine behind sock and returns the command's
// exit status (128+N when a signal N killed it, 127 not found, 126 not
// executable). It decides per stream: a terminal gets a PTY in the guest,
// bridged to the host terminal (raw mode when stdin is a terminal, resize
// on SIGWINCH, terminal restored on every way out); any other stream is
// passed as it is, so the command writes to it directly. Signals sent to
// this process act as client_signals_linux.go says. Cancelling ctx hangs
// up the command. Errors carry text for the user.
func Run(ctx context.Context, sock string, req Request, stdio Stdio) (int, error) {
	if len(req.Argv) == 0 {
		return StatusFailure, errors.New("no command to run")
	}
	files := [3]*os.File{stdio.In, stdio.Out, stdio.Err}
	for i, f := range files {
		if f != nil {
			continue
		}
		flag := os.O_WRONLY
		if i == 0 {
			flag = os.O_RDONLY
		}
		null, err := os.OpenFile(os.DevNull, flag, 0)
		if err != nil {
			return StatusFailure, err
		}
		defer null.Close()
		files[i] = null
	}
	h := runHeader{Argv: req.Argv, Env: req.Env, Dir: req.Dir, DirFallback: req.DirFallback, Root: req.Root, Login: req.Login}
	var pass []int
	var sizeFrom *os.File
	for i, f := range files {
		fd, err := bridge.RawFd(f)
		if err != nil {
			return StatusFailure, err
		}
		// A terminal is never passed into the machine (TIOCSTI injection).
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			h.TTY[i] = true
			continue
		}
		// Like os/exec, the command gets the descriptor in blocking mode:
		// programs do not expect EAGAIN on their stdio.
		pass = append(pass, int(f.Fd()))
	}
	if h.usesPTY() {
		sizeFrom = pick(files, h.TTY, 1, 2, 0)
		if fd, err := bridge.RawFd(sizeFrom); err == nil {
			if ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ); err == nil {
				h.Rows, h.Cols = ws.Row, ws.Col
			}
		}
		h.Term, _ = envValue(req.Env, "TERM")
	}
	js, err := json.Marshal(&h)
	if err != nil {
		return StatusFailure, err
	}

	w, err := dial(ctx, sock)
	if err != nil {
		return StatusFailure, err
	}
	defer w.close()
	// Notified before the request goes out, so an early Ctrl-C is queued
	// behind it rather than killing sbx.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, clientSignals(h.TTY[0])...)
	defer signal.Stop(sigs)
	err = w.send(msgRun, js, pass...)
	runtime.KeepAlive(files)
	if err != nil {
		return StatusFailure, fmt.Errorf("sending the command to the machine: %w", err)
	}
	cs := &clientSession{w: w, pty: h.usesPTY(), raw: h.TTY[0]}
	done := make(chan struct{})
	defer close(done)
	go cs.handleSignals(ctx, sigs, done)

	for {
		typ, p, err := w.recv()
		if err != nil {
			if sig := cs.hungUp.Load(); sig != 0 {
				return 128 + int(sig), nil // as a command killed by sig would
			}
			if ctx.Err() != nil {
				return StatusFailure, ctx.Err()
			}
			return StatusFailure, lostConnection(err)
		}
		switch typ {
		case msgError:
			return StatusFailure, errors.New(string(p))
		case msgStarted:
			var st startedHeader
			if err := json.Unmarshal(p, &st); err != nil {
				return StatusFailure, fmt.Errorf("protocol error: %w", err)
			}
			if !st.PTY || cs.bridge() != nil {
				continue
			}
			br, err := startBridge(w, files, h.TTY, sizeFrom)
			if err != nil {
				return StatusFailure, err
			}
			defer br.Close() // restores the terminal on every path, panics included
			cs.setBridge(br)
		case msgExit:
			code, msg, err := parseExit(p)
			if err != nil {
				return StatusFailure, err
			}
			if br := cs.bridge(); br != nil {
				br.Finish()
			}
			if msg != "" {
				io.WriteString(files[2], msg) // best effort
			}
			return code, nil
		}
	}
}

// startBridge takes the PTY master that came with msgStarted and connects
// it to the host terminal.
func startBridge(w *wire, files [3]*os.File, tty [3]bool, sizeFrom *os.File) (*bridge.Bridge, error) {
	fds, err := w.takeFds(1)
	if err != nil {
		return nil, err
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, fmt.Errorf("preparing the terminal: %w", err)
	}
	master := os.NewFile(uintptr(fds[0]), "pty-master")
	o := bridge.Options{Master: master, Output: pick(files, tty, 1, 2, 0), Size: sizeFrom}
	if tty[0] {
		o.Input = files[0]
	}
	br, err := bridge.Start(o)
	if err != nil {
		master.Close()
		return nil, err
	}
	return br, nil // the bridge owns the master now
}

// pick returns the first of files (by index order) that is a terminal.
func pick(files [3]*os.File, tty [3]bool, order ...int) *os.File {
	for _, i := range order {
		if tty[i] {
			return files[i]
		}
	}
	return nil
}

// dial connects to the agent's socket, bounded by ctx.
func dial(ctx context.Context, sock string) (*wire, error) {
	c, err := dialSocket(ctx, sock)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%w (no agent at %s)", ErrUnavailable, sock)
		}
		if errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("cannot reach the machine's agent at %s: permission denied; is this machine yours?", sock)
		}
		return nil, fmt.Errorf("connecting to the machine's agent: %w", err)
	}
	return newWire(c.(*net.UnixConn)), nil
}

func lostConnection(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return errors.New("lost the connection to the machine (was it stopped?)")
	}
	return fmt.Errorf("talking to the machine's agent: %w", err)
}

// Ping waits until the machine's system is up (running or degraded),
// bounded by ctx, and returns its state.
func Ping(ctx context.Context, sock string) (string, error) {
	w, err := dial(ctx, sock)
	if err != nil {
		return "", err
	}
	defer w.close()
	h := pingHeader{TimeoutMs: 60_000}
	if dl, ok := ctx.Deadline(); ok {
		h.TimeoutMs = max(time.Until(dl).Milliseconds(), 1)
		w.c.SetDeadline(dl) // best effort
	}
	js, _ := json.Marshal(h)
	typ, p, err := exchange(ctx, w, msgPing, js)
	if err != nil {
		return "", err
	}
	switch typ {
	case msgPong:
		return string(p), nil
	case msgError:
		return "", errors.New(string(p))
	}
	return "", fmt.Errorf("protocol error: unexpected reply %q to ping", typ)
}

// ActiveSessions asks the agent how many commands are running in the
// machine.
func ActiveSessions(ctx context.Context, sock string) (int, error) {
	w, err := dial(ctx, sock)
	if err != nil {
		return 0, err
	}
	defer w.close()
	if dl, ok := ctx.Deadline(); ok {
		w.c.SetDeadline(dl) // best effort
	}
	typ, p, err := exchange(ctx, w, msgSessions, nil)
	if err != nil {
		return 0, err
	}
	switch {
	case typ == msgCount && len(p) == 4:
		return int(binary.BigEndian.Uint32(p)), nil
	case typ == msgError:
		return 0, errors.New(string(p))
	}
	return 0, fmt.Errorf("protocol error: unexpected reply %q", typ)
}

// exchange sends one request and reads one reply, giving up when ctx ends.
func exchange(ctx context.Context, w *wire, typ byte, payload []byte) (byte, []byte, error) {
	stop := context.AfterFunc(ctx, func() { w.c.SetDeadline(time.Now()) }) // best effort
	defer stop()
	if err := w.send(typ, payload); err != nil {
		return 0, nil, fmt.Errorf("talking to the machine's agent: %w", err)
	}
	rt, p, err := w.recv()
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, ctx.Err()
		}
		return 0, nil, lostConnection(err)
	}
	return rt, p, nil
}
