package bridge

import (
	"bytes"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestEscapeDetector(t *testing.T) {
	base := time.Unix(1000, 0)
	at := base
	d := &escapeDetector{now: func() time.Time { return at }}
	step := func(after time.Duration, p string) bool {
		at = base.Add(after)
		return d.seen([]byte(p))
	}
	if step(0, "\x1d\x1d") {
		t.Fatal("two ^] already count as the escape")
	}
	if step(100*time.Millisecond, "x") {
		t.Fatal("x completed the escape")
	}
	if step(200*time.Millisecond, "\x1d") {
		t.Fatal("a key between the ^] did not start over")
	}
	// Too slow: the third comes 1.5 s after the first, so it is a new first.
	if step(300*time.Millisecond, "\x1d") || step(1700*time.Millisecond, "\x1d") {
		t.Fatal("^] spread over more than a second counted as the escape")
	}
	if step(1800*time.Millisecond, "\x1d") {
		t.Fatal("escape after only two ^] of the new window")
	}
	if !step(1900*time.Millisecond, "\x1d") {
		t.Fatal("three ^] within a second were not seen as the escape")
	}
	d2 := &escapeDetector{}
	if !d2.seen([]byte("ls\r\x1d\x1d\x1d")) {
		t.Fatal("^]^]^] at the end of one read not seen")
	}
}

// gettyEnd prepares the guest's slave the way a getty has it: no echo, no
// line editing, and reads that can time out.
func gettyEnd(t *testing.T, f *os.File) *os.File {
	t.Helper()
	g := nonblocking(t, f)
	f.Close()
	fd, err := RawFd(g)
	if err != nil {
		t.Fatal(err)
	}
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag &^= unix.ECHO | unix.ICANON | unix.ISIG
	tio.Oflag &^= unix.OPOST
	tio.Iflag &^= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	return g
}

// expectOn reads f until want has appeared.
func expectOn(t *testing.T, f *os.File, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var got bytes.Buffer
	buf := make([]byte, 1024)
	for !strings.Contains(got.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %q, got %q", want, got.String())
		}
		f.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, _ := f.Read(buf)
		got.Write(buf[:n])
	}
}

func TestConsoleRelaysRidesOutHangupsAndEscapes(t *testing.T) {
	host, guest, b, before := setup(t, true)
	getty := gettyEnd(t, guest)

	// Keys reach the machine, its output reaches the terminal.
	host.Type("root\r")
	expectOn(t, getty, "root\r")
	getty.Write([]byte("Password: "))
	host.Expect("Password: ")

	// The getty goes away (logout, vhangup) and a new one opens the PTY:
	// the console stays connected.
	name := getty.Name()
	getty.Close()
	time.Sleep(3 * retryEIO) // let the relay meet EIO at least once
	again, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	getty = gettyEnd(t, again)
	getty.Write([]byte("login: "))
	host.Expect("login: ")

	// ^]^]^] leaves; the ^] are not sent to the machine.
	host.Type("\x1d\x1d\x1d")
	select {
	case <-b.Ended():
		if b.Why() != EndEscape {
			t.Fatalf("ended with %d, want the escape", b.Why())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("^]^]^] did not end the console")
	}
	getty.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := getty.Read(make([]byte, 16)); n > 0 {
		t.Errorf("the escape keys reached the machine")
	}
	b.Close()
	host.WantRestored(before, "when the console ends")
}

func TestRunBridgeEndsOnEIO(t *testing.T) {
	// Without Console, the PTY closing ends the output copy (the tail is
	// in), so Finish does not wait for the drain timeout.
	_, guest, b, _ := setup(t, false)
	guest.Close()
	start := time.Now()
	b.Finish()
	if d := time.Since(start); d >= DrainIdle {
		t.Errorf("Finish after EIO took %v", d)
	}
}

// TestStopSelf runs itself in a child that StopSelf stops: the parent
// sees it stopped by SIGTSTP (as a shell's job would be), continues it,
// and the child then exits normally with its signal handling intact.
func TestStopSelf(t *testing.T) {
	if os.Getenv("SBX_TEST_STOPSELF") != "" {
		sigs := make(chan os.Signal, 2)
		signal.Notify(sigs, unix.SIGTSTP)
		if err := StopSelf(unix.SIGTSTP); err != nil {
			os.Exit(3)
		}
		// Still caught after the stop: a second SIGTSTP does not stop us.
		unix.Kill(os.Getpid(), unix.SIGTSTP)
		select {
		case <-sigs:
			os.Exit(0)
		case <-time.After(5 * time.Second):
			os.Exit(4)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStopSelf$")
	cmd.Env = append(os.Environ(), "SBX_TEST_STOPSELF=1")
	// A group of its own with this process as its parent in the same
	// session: the kernel discards SIGTSTP in an orphaned process group,
	// which the test's own may be (CI runs it under setsid).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(cmd.Process.Pid, &ws, syscall.WUNTRACED, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() || ws.StopSignal() != syscall.SIGTSTP {
		cmd.Process.Kill()
		t.Fatalf("child not stopped by SIGTSTP: %#x", ws)
	}
	cmd.Process.Signal(syscall.SIGCONT)
	if _, err := syscall.Wait4(cmd.Process.Pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("child after continue: %#x", ws)
	}
}
