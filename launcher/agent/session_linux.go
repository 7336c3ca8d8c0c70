package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// session is one running command.
type session struct {
	srv    *Server
	pid    int // also its process group, and its session when it has a PTY
	hasPTY bool
	exited chan struct{} // closed once the command has been reaped

	mu     sync.Mutex
	master *os.File // the agent's copy of the PTY master, to find the foreground group; nil when closed

	dropOnce sync.Once
}

// forwardable are the signals a client may ask to deliver.
var forwardable = map[unix.Signal]bool{
	unix.SIGHUP: true, unix.SIGINT: true, unix.SIGQUIT: true, unix.SIGTERM: true,
	unix.SIGUSR1: true, unix.SIGUSR2: true, unix.SIGWINCH: true, unix.SIGCONT: true, unix.SIGTSTP: true,
	unix.SIGTTIN: true, unix.SIGTTOU: true,
}

func (s *Server) run(w *wire, cred *unix.Ucred, payload []byte) {
	var h runHeader
	if err := json.Unmarshal(payload, &h); err != nil || len(h.Argv) == 0 {
		w.send(msgError, []byte("protocol error: bad run request")) // best effort
		return
	}
	fds, err := w.takeFds(h.passed())
	if err != nil {
		w.send(msgError, []byte(err.Error())) // best effort
		return
	}
	defer func() {
		for _, fd := range fds {
			unix.Close(fd) // best effort
		}
	}()
	ss, code, msg, err := s.start(&h, int(cred.Uid), fds)
	if err != nil {
		w.send(msgError, []byte(err.Error())) // best effort
		return
	}
	if ss == nil {
		w.sendExit(code, msg) // best effort
		return
	}
	for _, fd := range fds {
		unix.Close(fd) // the child has its own copies now
	}
	fds = nil
	s.track(ss, true)
	defer s.track(ss, false)

	if err := ss.sendStarted(w); err != nil {
		ss.dropped()
	}
	go ss.readClient(w)
	ws := ss.wait()
	close(ss.exited)
	ss.closeMaster()
	w.sendExit(waitStatusCode(ws), "") // best effort: the client may be gone
}

// start prepares and forks the command. It returns a session, or a status
// and message when the command could not be run (as a shell would report
// it), or an error meant for the user.
func (s *Server) start(h *runHeader, peerUID int, fds []int) (*session, int, string, error) {
	uid := peerUID
	if h.Root {
		uid = 0
	}
	u, err := lookupUID(orDefault(s.PasswdFile, "/etc/passwd"), uid)
	if err != nil {
		return nil, 0, "", err
	}
	groups, err := supplementaryGroups(orDefault(s.GroupFile, "/etc/group"), u.Name, u.GID)
	if err != nil {
		return nil, 0, "", err
	}
	dir := h.Dir
	if dir == "" {
		dir = u.Home
	}
	note := ""
	if !isDir(dir) && isDir(h.DirFallback) {
		note = fmt.Sprintf("sbx: %s is not in this machine; running in %s\n", dir, h.DirFallback)
		dir = h.DirFallback
	}
	if !isDir(dir) {
		return nil, 0, "", fmt.Errorf("directory %s does not exist in this machine; only the project and Bind= paths are shared", dir)
	}
	// The login session's variables first: what the host sent (-e) wins.
	js := s.users.join(u, s.logf)
	defer js.close()
	env := guestEnv(append(slices.Clip(js.env), h.Env...), u, h.usesPTY(), h.Term)
	note += linkGPG(runtimeBase, u, env)
	pathVar, _ := envValue(env, "PATH")
	exe, ok := lookPath(h.Argv[0], pathVar, dir)
	if !ok {
		code, msg := notFound(h.Argv[0])
		return nil, code, msg, nil
	}
	argv := append([]string(nil), h.Argv...)
	if h.Login {
		argv[0] = "-" + filepath.Base(argv[0])
	}

	var master, slave *os.File
	if h.usesPTY() {
		if master, slave, err = pty.Open(); err != nil {
			return nil, 0, "", fmt.Errorf("allocating a terminal in the machine: %w", err)
		}
		defer slave.Close()
		if h.Rows > 0 && h.Cols > 0 {
			// Before the child exists, so its first `stty size` is right.
			if err := pty.Setsize(master, &pty.Winsize{Rows: h.Rows, Cols: h.Cols}); err != nil {
				master.Close()
				return nil, 0, "", fmt.Errorf("setting the terminal size: %w", err)
			}
		}
	}
	files := make([]uintptr, 3)
	ctty, next := -1, 0
	for i := range files {
		if h.TTY[i] {
			files[i] = slave.Fd()
			if ctty < 0 {
				ctty = i
			}
			continue
		}
		files[i] = uintptr(fds[next])
		next++
	}
	if note != "" {
		unix.Write(int(files[2]), []byte(note)) // best effort: a note before the command's own output
	}
	sys := &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID), Groups: groups}}
	if master != nil {
		// Session leader with the PTY as controlling terminal: Ctrl-C and
		// job control inside work.
		sys.Setsid, sys.Setctty, sys.Ctty = true, true, ctty
	} else {
		sys.Setpgid = true // own group, so forwarded signals reach its children too
	}
	pid, err := js.forkExec(exe, argv, &syscall.ProcAttr{Dir: dir, Env: env, Files: files, Sys: sys}, s.logf)
	if err != nil {
		if master != nil {
			master.Close()
		}
		code, msg := execFailure(h.Argv[0], err)
		return nil, code, msg, nil
	}
	return &session{srv: s, pid: pid, hasPTY: master != nil, master: master, exited: make(chan struct{})}, 0, "", nil
}

// isDir reports whether dir is an absolute path of a directory here.
func isDir(dir string) bool {
	st, err := os.Stat(dir)
	return err == nil && st.IsDir() && filepath.IsAbs(dir)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Server) track(ss *session, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions = map[*session]struct{}{}
	}
	if on {
		s.sessions[ss] = struct{}{}
		s.active.Add(1)
	} else {
		delete(s.sessions, ss)
		s.active.Add(-1)
	}
	s.touch() // idle time counts from the end of the last session
}

func (ss *session) sendStarted(w *wire) error {
	js, _ := json.Marshal(startedHeader{Pid: ss.pid, PTY: ss.hasPTY})
	if !ss.hasPTY {
		return w.send(msgStarted, js)
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return w.send(msgStarted, js, int(ss.master.Fd()))
}

// readClient handles signal requests; the connection ending before the
// command did means the client is gone (sbx killed, terminal closed).
func (ss *session) readClient(w *wire) {
	for {
		typ, p, err := w.recv()
		if err != nil {
			select {
			case <-ss.exited:
			default:
				ss.dropped()
			}
			return
		}
		if typ == msgSignal && len(p) == 1 {
			ss.signal(unix.Signal(p[0]))
		}
	}
}

func (ss *session) wait() syscall.WaitStatus {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(ss.pid, &ws, 0, nil)
		if err != syscall.EINTR {
			return ws
		}
	}
}

func (ss *session) closeMaster() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.master != nil {
		ss.master.Close()
		ss.master = nil
	}
}

// signal delivers sig to the command's process group; keyboard-like
// signals also reach the terminal's foreground group, as a typed Ctrl-C
// would. Stop and continue reach the whole session of a PTY command, as
// the job it is on the host.
func (ss *session) signal(sig unix.Signal) {
	if !forwardable[sig] {
		return
	}
	switch sig {
	case unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		if ss.hasPTY {
			// The session's groups are orphaned (their parent, the agent,
			// is in another session): the kernel discards these stops
			// there, so stop them as a debugger would.
			ss.killAll(unix.SIGSTOP)
			return
		}
	case unix.SIGCONT:
		ss.killAll(unix.SIGCONT)
		return
	}
	unix.Kill(-ss.pid, sig) // best effort: the group may be gone
	if sig != unix.SIGINT && sig != unix.SIGQUIT && sig != unix.SIGHUP {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.master == nil {
		return
	}
	if fg, err := unix.IoctlGetInt(int(ss.master.Fd()), unix.TIOCGPGRP); err == nil && fg > 0 && fg != ss.pid {
		unix.Kill(-fg, sig) // best effort
	}
}

// dropped ends everything the session started: SIGHUP (and SIGCONT so
// stopped jobs see it), then SIGKILL for whatever is left after the grace
// period.
func (ss *session) dropped() {
	ss.dropOnce.Do(func() { go ss.hangup() })
}

func (ss *session) hangup() {
	ss.killAll(unix.SIGHUP)
	ss.killAll(unix.SIGCONT)
	deadline := time.Now().Add(ss.srv.grace())
	for time.Now().Before(deadline) {
		if !ss.anyAlive() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ss.killAll(unix.SIGKILL)
}

// killAll signals the process group and, for a PTY session, every process
// of the session (a shell puts its jobs in groups of their own).
func (ss *session) killAll(sig unix.Signal) {
	unix.Kill(-ss.pid, sig) // best effort
	if ss.hasPTY {
		for _, p := range sessionMembers(ss.pid) {
			unix.Kill(p, sig) // best effort
		}
	}
}

func (ss *session) anyAlive() bool {
	if unix.Kill(-ss.pid, 0) == nil {
		return true
	}
	return ss.hasPTY && len(sessionMembers(ss.pid)) > 0
}
