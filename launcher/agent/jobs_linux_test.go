package agent

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procState is the state letter of pid in /proc (T: stopped), 0 if gone.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return 0
	}
	return b[i+2]
}

// waitStopped waits until the client process is reported stopped by sig.
func waitStopped(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WUNTRACED, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != sig {
		t.Fatalf("client not stopped by %v: wait status %#x", sig, ws)
	}
}

// readPids reads "pid PID PID ." from the start of s.
func readPids(t *testing.T, s string) (a, b int) {
	t.Helper()
	i := strings.Index(s, "pids ")
	if i < 0 {
		t.Fatalf("no pids in %q", s)
	}
	if _, err := fmt.Sscanf(s[i:], "pids %d %d", &a, &b); err != nil {
		t.Fatalf("parsing %q: %v", s, err)
	}
	return a, b
}

// jobClient starts a client as a shell starts a job: in a process group
// of its own in the test's session, so the kernel does not discard its
// stop signals (a session leader's group, as u.client makes, is orphaned).
// The terminal, if any, is its stdio but not its controlling terminal; a
// nil stream is /dev/null.
func jobClient(t *testing.T, sock string, req Request, stdin, stdout, stderr *os.File) *exec.Cmd {
	t.Helper()
	cmd := helperCmd(t, os.Args[0], sock, req)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// TestTerminalSessionHungUpOnSIGTERMAndSIGHUP: a command on a PTY that
// ignores SIGTERM, as an interactive shell does, with a job of its own:
// SIGTERM (or SIGHUP) to the client ends the whole session as ssh does,
// gives the terminal back and exits 128+N.
func TestTerminalSessionHungUpOnSIGTERMAndSIGHUP(t *testing.T) {
	sock, _ := startServer(t, 0)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP} {
		u := newUserTerm(t, 24, 80)
		before := u.Termios()
		cmd := u.client(sock, sh(`trap "" TERM; sleep 100 & echo "pids $$ $! ."; while :; do sleep 1; done`), nil, nil, nil)
		shell, job := readPids(t, u.Expect(" ."))
		cmd.Process.Signal(sig)
		if code := exitCode(t, cmd); code != 128+int(sig) {
			t.Errorf("%v: exit %d, want %d", sig, code, 128+int(sig))
		}
		u.WantRestored(before, "after "+sig.String())
		waitFor(t, 5*time.Second, "the session's processes to end", func() bool { return !alive(shell) && !alive(job) })
	}
}

// TestPipeCommandStopsAndContinuesWithTheClient: Ctrl-Z stops sbx and,
// with it, the command (pipe mode and a PTY without raw mode alike); fg
// continues both; the command's exit status is still sbx's.
func TestPipeCommandStopsAndContinuesWithTheClient(t *testing.T) {
	sock, _ := startServer(t, 0)
	for _, mode := range []string{"pipes", "pty-output"} {
		dir := t.TempDir()
		tick, stop := filepath.Join(dir, "tick"), filepath.Join(dir, "stop")
		script := fmt.Sprintf(`sleep 100 & echo "pids $$ $! ." >&2; while [ ! -e %s ]; do echo x >>%s; sleep 0.02; done; kill $!; exit 7`, stop, tick)
		var cmd *exec.Cmd
		var out func() string
		if mode == "pipes" {
			errR, errW := pipe(t)
			cmd = jobClient(t, sock, sh(script), nil, nil, errW)
			errW.Close()
			buf := make([]byte, 64)
			n, _ := errR.Read(buf)
			out = func() string { return string(buf[:n]) }
		} else {
			u := newUserTerm(t, 24, 80)
			cmd = jobClient(t, sock, sh(script), nil, u.Slave, u.Slave)
			u.Expect(" .")
			out = u.Output
		}
		shell, job := readPids(t, out())
		size := func() int64 {
			if st, err := os.Stat(tick); err == nil {
				return st.Size()
			}
			return 0
		}
		waitFor(t, 5*time.Second, "the command to run", func() bool { return size() > 0 })

		cmd.Process.Signal(syscall.SIGTSTP)
		waitStopped(t, cmd, syscall.SIGTSTP)
		waitFor(t, 15*time.Second, mode+": the command and its job to stop", func() bool { return procState(shell) == 'T' && procState(job) == 'T' })
		stopped := size()
		time.Sleep(200 * time.Millisecond) // ten of its ticks
		if size() != stopped {
			t.Errorf("%s: the command still writes while stopped", mode)
		}

		cmd.Process.Signal(syscall.SIGCONT)
		waitFor(t, 15*time.Second, mode+": the command to go on", func() bool { return size() > stopped })
		if err := os.WriteFile(stop, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if code := exitCode(t, cmd); code != 7 {
			t.Errorf("%s: exit %d, want 7", mode, code)
		}
	}
}

// TestRawTerminalStopIsSbxAlone: with the host terminal raw, Ctrl-Z is a
// key for the machine; a SIGTSTP from kill stops sbx alone, as it would
// ssh: the terminal is given back while stopped and taken again after.
func TestRawTerminalStopIsSbxAlone(t *testing.T) {
	sock, _ := startServer(t, 0)
	u := newUserTerm(t, 24, 80)
	before := u.Termios()
	cmd := jobClient(t, sock, sh(`echo "pids $$ $$ ."; read x; echo "got $x"; exit 4`), u.Slave, u.Slave, u.Slave)
	shell, _ := readPids(t, u.Expect(" ."))
	u.WaitRaw()
	cmd.Process.Signal(syscall.SIGTSTP)
	waitStopped(t, cmd, syscall.SIGTSTP)
	if during := u.Termios(); during != before {
		t.Error("terminal not given back while sbx is stopped")
	}
	if st := procState(shell); st == 'T' || st == 0 {
		t.Errorf("the machine's side is in state %q, want it running", st)
	}
	cmd.Process.Signal(syscall.SIGCONT)
	u.WaitRaw()
	u.Type("on\r")
	u.Expect("got on")
	if code := exitCode(t, cmd); code != 4 {
		t.Errorf("exit %d, want 4", code)
	}
	u.WantRestored(before, "at the end")
}
