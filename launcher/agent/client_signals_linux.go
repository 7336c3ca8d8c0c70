package agent

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sbxdev/sbx/launcher/bridge"
	"golang.org/x/sys/unix"
)

// clientSignals are the signals Run catches while a command runs.
//
//   - SIGINT, SIGQUIT: forwarded to the command (and its terminal's
//     foreground job), as the keys would be.
//   - SIGTERM, SIGHUP: without a PTY, forwarded, so the command decides as
//     on the host. With a PTY, sbx ends the session as ssh does: it hangs
//     up the machine's terminal (the agent sends SIGHUP to the session and
//     SIGKILL to what is left after a grace period), gives the host
//     terminal back and exits 128+N. An interactive shell ignores SIGTERM,
//     so forwarding would leave `kill PID` without effect.
//   - SIGTSTP, SIGTTIN, SIGTTOU (Ctrl-Z when the host terminal is not raw,
//     or kill): the command stops with sbx, as a job on the host would, and
//     SIGCONT (fg, bg) continues both. When the host terminal is raw, Ctrl-Z
//     is a key for the machine's terminal (as with ssh) and these come only
//     from kill: sbx gives the terminal back and stops alone, and takes the
//     terminal again when continued; the machine's side keeps running.
//     SIGTTIN and SIGTTOU are not caught then: sbx in the background
//     touching the raw terminal must stop (as ssh does), and a handler
//     would make the kernel send them again at once, forever.
func clientSignals(raw bool) []os.Signal {
	sigs := append([]os.Signal{unix.SIGTSTP, unix.SIGCONT}, bridge.Terminating...)
	if !raw {
		sigs = append(sigs, unix.SIGTTIN, unix.SIGTTOU)
	}
	return sigs
}

// clientSession is what the signal handling needs of a running command.
type clientSession struct {
	w      *wire
	pty    bool // the command has a PTY in the machine
	raw    bool // the host terminal is (or is about to be) in raw mode
	hungUp atomic.Int32

	mu sync.Mutex
	br *bridge.Bridge
}

func (cs *clientSession) setBridge(br *bridge.Bridge) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.br = br
}

func (cs *clientSession) bridge() *bridge.Bridge {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.br
}

// handleSignals acts on signals until done; cancelling ctx hangs up.
func (cs *clientSession) handleSignals(ctx context.Context, sigs <-chan os.Signal, done <-chan struct{}) {
	defer bridge.RestoreOnPanic()
	for {
		select {
		case s := <-sigs:
			if sig, ok := s.(syscall.Signal); ok {
				cs.signal(unix.Signal(sig))
			}
		case <-ctx.Done():
			cs.w.c.Close() // the agent hangs up the command
			return
		case <-done:
			return
		}
	}
}

func (cs *clientSession) signal(sig unix.Signal) {
	switch sig {
	case unix.SIGTERM, unix.SIGHUP:
		if cs.pty {
			cs.hangup(sig)
			return
		}
	case unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		if cs.raw {
			if br := cs.bridge(); br != nil {
				br.Stop(sig)
			} else {
				bridge.StopSelf(sig) // best effort
			}
			return
		}
		cs.forward(sig)      // the agent stops the command's processes
		bridge.StopSelf(sig) // best effort
		return
	case unix.SIGCONT:
		if cs.raw {
			return // nothing in the machine was stopped
		}
	}
	cs.forward(sig)
}

func (cs *clientSession) forward(sig unix.Signal) {
	cs.w.send(msgSignal, []byte{byte(sig)}) // best effort: the command may have ended
}

// hangup closes the connection: the agent hangs up the session, and Run
// returns 128+sig with the terminal given back.
func (cs *clientSession) hangup(sig unix.Signal) {
	if cs.hungUp.CompareAndSwap(0, int32(sig)) {
		if br := cs.bridge(); br != nil {
			br.Restore() // at once; Run's Close does the rest
		}
		cs.w.c.Close()
	}
}
