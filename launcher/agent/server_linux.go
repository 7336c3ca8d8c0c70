package agent

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Server is the agent inside a machine. The zero value is not usable: set
// OwnerUID (from Config); everything else has defaults.
type Server struct {
	// OwnerUID is the only non-root uid allowed to connect.
	OwnerUID int
	// PasswdFile and GroupFile are the guest's user database
	// (default /etc/passwd, /etc/group).
	PasswdFile, GroupFile string
	// SystemState answers Ping (default: guestState, is-system-running --wait over D-Bus).
	SystemState func(ctx context.Context) (string, error)
	// HangupGrace is how long a session's processes get between SIGHUP and
	// SIGKILL after the client went away (default 2s).
	HangupGrace time.Duration
	// Logf receives diagnostics (to the journal); nil discards them.
	Logf func(format string, a ...any)

	users      userSessions // the owner's login session, joined by every command
	active     atomic.Int64
	lastActive atomic.Int64 // unix nanoseconds of the last request or session end; see idle_linux.go
	mu         sync.Mutex
	sessions   map[*session]struct{}
}

// ActiveSessions is the number of commands running now (for idle-stop).
func (s *Server) ActiveSessions() int { return int(s.active.Load()) }

// Serve accepts connections until l is closed; each is handled on its own
// goroutine. It returns nil when l was closed.
func (s *Server) Serve(l *net.UnixListener) error {
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED) {
				s.logf("accept: %v", err)
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return fmt.Errorf("accepting on the agent socket: %w", err)
		}
		go s.handle(c)
	}
}

// HangupAll treats every running session as if its client had gone away
// (SIGHUP, then SIGKILL after the grace period) and waits for them to end.
// The agent calls it when it is stopped.
func (s *Server) HangupAll() {
	s.mu.Lock()
	var all []*session
	for ss := range s.sessions {
		all = append(all, ss)
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.dropped()
	}
	for _, ss := range all {
		<-ss.exited
	}
}

func (s *Server) logf(format string, a ...any) {
	if s.Logf != nil {
		s.Logf(format, a...)
	}
}

func (s *Server) grace() time.Duration {
	if s.HangupGrace > 0 {
		return s.HangupGrace
	}
	return 2 * time.Second
}

func (s *Server) handle(c *net.UnixConn) {
	s.touch()
	w := newWire(c)
	defer w.close()
	cred, err := peerCred(c)
	if err != nil {
		s.logf("reading peer credentials: %v", err)
		return
	}
	typ, payload, err := w.recv()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.logf("reading request: %v", err)
		}
		return
	}
	if int(cred.Uid) != 0 && int(cred.Uid) != s.OwnerUID {
		s.logf("refused uid %d (pid %d)", cred.Uid, cred.Pid)
		w.send(msgError, fmt.Appendf(nil, // best effort
			"uid %d may not use this machine: only its owner (uid %d) and root may run commands in it",
			cred.Uid, s.OwnerUID))
		return
	}
	switch typ {
	case msgRun:
		s.run(w, cred, payload)
	case msgPing:
		s.ping(w, payload)
	case msgSessions:
		p := binary.BigEndian.AppendUint32(nil, uint32(s.ActiveSessions()))
		w.send(msgCount, p) // best effort
	default:
		w.send(msgError, fmt.Appendf(nil, "unknown request %q: the machine's sbx agent is a different version; restart the machine", typ)) // best effort
	}
}

func (s *Server) ping(w *wire, payload []byte) {
	var h pingHeader
	if err := json.Unmarshal(payload, &h); err != nil {
		w.send(msgError, []byte("protocol error: bad ping")) // best effort
		return
	}
	timeout := time.Duration(h.TimeoutMs) * time.Millisecond
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	state := s.SystemState
	if state == nil {
		state = guestState
	}
	st, err := state(ctx)
	if err != nil {
		w.send(msgError, []byte(err.Error())) // best effort
		return
	}
	w.send(msgPong, []byte(st)) // best effort
}

func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	sc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	err = sc.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil {
		return nil, err
	}
	return cred, cerr
}
