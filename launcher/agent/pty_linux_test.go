package agent

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

// userTerm plays the user's terminal: the test holds its master side, the
// client process has the slave as its controlling terminal.
type userTerm struct {
	*ptytest.Pair
	t *testing.T
}

func newUserTerm(t *testing.T, rows, cols uint16) *userTerm {
	t.Helper()
	return &userTerm{Pair: ptytest.Open(t, rows, cols), t: t}
}

// client starts a client process whose controlling terminal is u; each
// of stdin/stdout/stderr is the terminal unless given.
func (u *userTerm) client(sock string, req Request, stdin, stdout, stderr *os.File) *exec.Cmd {
	u.t.Helper()
	cmd := helperCmd(u.t, os.Args[0], sock, req)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = u.Slave, u.Slave, u.Slave
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if stderr != nil {
		cmd.Stderr = stderr
	}
	cmd.ExtraFiles = []*os.File{u.Slave}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 3}
	if err := cmd.Start(); err != nil {
		u.t.Fatal(err)
	}
	u.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("client did not exit")
	}
	return cmd.ProcessState.ExitCode()
}

func TestPTYNamesAPtsWithTheRightSizeFromTheStart(t *testing.T) {
	sock, _ := startServer(t, 0)
	u := newUserTerm(t, 33, 101)
	cmd := u.client(sock, sh(`printf 'tty=%s size=%s\n' "$(tty)" "$(stty size)"; seq 1 3000; exit 42`), nil, nil, nil)
	if code := exitCode(t, cmd); code != 42 {
		t.Errorf("exit %d, want 42; screen %q", code, u.Output())
	}
	u.Expect("size=33 101")
	u.Expect("\r\n2999\r\n3000\r\n") // the tail arrives, with the guest's own ONLCR
	out := u.Output()
	if !strings.Contains(out, "tty=/dev/pts/") || strings.Contains(out, "tty="+u.Slave.Name()+"\r") {
		t.Errorf("command's tty is not a PTY of its own: %q (host terminal %s)", out[:min(len(out), 80)], u.Slave.Name())
	}
}

func TestPTYFollowsResize(t *testing.T) {
	sock, _ := startServer(t, 0)
	u := newUserTerm(t, 24, 80)
	cmd := u.client(sock, sh(`stty size; while read x; do stty size; done; exit 3`), nil, nil, nil)
	u.Expect("24 80")
	if err := pty.Setsize(u.Master, &pty.Winsize{Rows: 50, Cols: 132}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(u.Output(), "50 132") {
		if time.Now().After(deadline) {
			t.Fatalf("resize never reached the command: %q", u.Output())
		}
		u.Master.Write([]byte("\r"))
		time.Sleep(50 * time.Millisecond)
	}
	u.Master.Write([]byte{4}) // Ctrl-D: end of input for the guest's terminal
	if code := exitCode(t, cmd); code != 3 {
		t.Errorf("exit %d, want 3", code)
	}
}

// startSleeper runs a command that says ready and sleeps, its terminal a
// new user terminal; before is that terminal's mode before the client ran.
func startSleeper(t *testing.T) (u *userTerm, cmd *exec.Cmd, before unix.Termios) {
	t.Helper()
	sock, _ := startServer(t, 0)
	u = newUserTerm(t, 24, 80)
	before = u.Termios()
	cmd = u.client(sock, sh(`echo ready; exec sleep 100`), nil, nil, nil)
	u.Expect("ready")
	return u, cmd, before
}

func TestPTYCtrlCAndTerminalRestored(t *testing.T) {
	u, cmd, before := startSleeper(t)
	if during := u.Termios(); during.Lflag&unix.ICANON != 0 || during.Lflag&unix.ECHO != 0 {
		t.Errorf("host terminal not in raw mode while the command runs: lflag %#x", during.Lflag)
	}
	u.Master.Write([]byte{3}) // Ctrl-C
	if code := exitCode(t, cmd); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	u.WantRestored(before, "after Ctrl-C")
}

func TestPTYRestoredWhenClientGetsSIGTERM(t *testing.T) {
	u, cmd, before := startSleeper(t)
	cmd.Process.Signal(syscall.SIGTERM)
	if code := exitCode(t, cmd); code != 143 {
		t.Errorf("exit %d, want 143", code)
	}
	u.WantRestored(before, "after SIGTERM")
}

func TestMixedTerminalAndPipes(t *testing.T) {
	sock, _ := startServer(t, 0)
	u := newUserTerm(t, 24, 80)
	outR, outW := pipe(t)
	outC := readAll(outR)
	cmd := u.client(sock, sh(`test -t 0 && echo in-tty; test -t 1 || echo out-pipe; test -t 2 && echo err-tty >&2; exit 0`), nil, outW, nil)
	outW.Close()
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d", code)
	}
	if got := <-outC; got != "in-tty\nout-pipe\n" {
		t.Errorf("stdout pipe got %q", got)
	}
	u.Expect("err-tty")

	// stdin a pipe, stdout the terminal: input EOF still works.
	u2 := newUserTerm(t, 24, 80)
	inR, inW := pipe(t)
	inW.Write([]byte("hello from a pipe\n"))
	inW.Close()
	cmd = u2.client(sock, sh(`test -t 0 || cat; test -t 1 && echo out-tty`), inR, nil, nil)
	inR.Close()
	if code := exitCode(t, cmd); code != 0 {
		t.Errorf("exit %d", code)
	}
	// The host terminal stays cooked (stdin is not a terminal), so its own
	// ONLCR adds a CR to the guest's CRLF: looks the same on screen.
	u2.Expect("hello from a pipe\r\r\nout-tty")
}

func TestSignalsToTheClientReachTheCommand(t *testing.T) {
	sock, _ := startServer(t, 0)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		outR, outW := pipe(t)
		cmd := helperCmd(t, os.Args[0], sock, sh(`echo ready; exec sleep 100`))
		cmd.Stdout = outW
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		outW.Close()
		buf := make([]byte, 6)
		if _, err := outR.Read(buf); err != nil {
			t.Fatal(err)
		}
		cmd.Process.Signal(sig)
		if code := exitCode(t, cmd); code != 128+int(sig) {
			t.Errorf("%v: exit %d, want %d", sig, code, 128+int(sig))
		}
	}
}

func TestDroppedConnectionLeavesNothingBehind(t *testing.T) {
	sock, _ := startServer(t, 0)
	// Pipe mode: SIGHUP ends the command.
	outR, outW := pipe(t)
	cmd := helperCmd(t, os.Args[0], sock, sh(`echo $$; exec sleep 100`))
	cmd.Stdout = outW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	if _, err := fmt.Fscan(outR, &pid); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, 5*time.Second, "the command to end after its client was killed", func() bool { return !alive(pid) })

	// PTY mode, with a job that ignores SIGHUP: SIGKILL after the grace.
	u := newUserTerm(t, 24, 80)
	cmd = u.client(sock, sh(`trap "" HUP; sleep 100 & echo "pids $$ $! ."; wait`), nil, nil, nil)
	u.Expect(" .")
	var sh, bg int
	out := u.Output()
	if _, err := fmt.Sscanf(out[strings.Index(out, "pids"):], "pids %d %d", &sh, &bg); err != nil {
		t.Fatalf("parsing %q: %v", out, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	waitFor(t, 5*time.Second, "the shell and its job to be killed", func() bool { return !alive(sh) && !alive(bg) })
}

func TestPTYOutputTailNeverLost(t *testing.T) {
	sock, _ := startServer(t, 0)
	u := newUserTerm(t, 24, 80)
	for i := range 200 {
		// stdout alone is the terminal: a PTY without raw mode, in process.
		code, err := Run(t.Context(), sock, Request{Argv: []string{"printf", "run-%d.\n", fmt.Sprint(i)}}, Stdio{Out: u.Slave})
		if err != nil || code != 0 {
			t.Fatalf("run %d: %d, %v", i, code, err)
		}
		u.Expect(fmt.Sprintf("run-%d.", i))
	}
}
