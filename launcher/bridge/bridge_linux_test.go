package bridge

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nonblocking returns a non-blocking duplicate of f, as the agent client
// makes of the master it receives, and closes f.
func nonblocking(t *testing.T, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), f.Name())
}

// guestPTY is the PTY in the machine: the bridge gets a non-blocking
// master, the test plays the program on the slave.
func guestPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return nonblocking(t, m), s
}

// setup: host is the user's terminal (the test types into its master and
// reads the screen there); the bridge relays it to a guest PTY.
func setup(t *testing.T, console bool) (host *ptytest.Pair, guest *os.File, b *Bridge, before unix.Termios) {
	t.Helper()
	host = ptytest.Open(t, 24, 80)
	before = host.Termios()
	master, guest := guestPTY(t)
	b, err := Start(Options{Master: master, Input: host.Slave, Output: host.Slave, Size: host.Slave, Console: console})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return host, guest, b, before
}

func TestCopiesBothWaysInRawModeAndRestores(t *testing.T) {
	host, guest, b, before := setup(t, false)
	if raw := host.Termios(); raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
		t.Fatalf("host terminal not raw: lflag %#x", raw.Lflag)
	}
	host.Type("typed\r")
	buf := make([]byte, 64)
	n, err := guest.Read(buf) // the guest's line discipline turns CR into NL
	if err != nil || string(buf[:n]) != "typed\n" {
		t.Fatalf("guest read %q, %v", buf[:n], err)
	}
	guest.Write([]byte("printed\n"))
	host.Expect("printed\r\n")
	b.Close()
	host.WantRestored(before, "by Close")
}

func TestFollowsHostSizeOnSIGWINCH(t *testing.T) {
	host, guest, _, _ := setup(t, false)
	if err := pty.Setsize(host.Master, &pty.Winsize{Rows: 41, Cols: 142}); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGWINCH) // the kernel sends it to the terminal's foreground group, which the test is not
	waitFor(t, "the guest PTY to take the host's size", func() bool {
		ws, err := unix.IoctlGetWinsize(int(guest.Fd()), unix.TIOCGWINSZ)
		return err == nil && ws.Row == 41 && ws.Col == 142
	})
}

func TestFinishReadsTheTailUntilEIO(t *testing.T) {
	host, guest, b, before := setup(t, false)
	tail := strings.Repeat("x", 50000) + "END"
	guest.Write([]byte(tail))
	guest.Close() // the command exited: nobody holds the slave
	b.Finish()
	host.Expect("xEND")
	host.WantRestored(before, "by Finish")
}

func TestFinishDoesNotHangWhileABackgroundProcessHoldsTheSlave(t *testing.T) {
	_, guest, b, _ := setup(t, false)
	guest.Write([]byte("still open"))
	start := time.Now()
	b.Finish() // guest stays open, like a background job's descriptor
	if d := time.Since(start); d > DrainIdle+time.Second {
		t.Errorf("Finish took %v", d)
	}
}

func TestRestoreOnPanicInAnyGoroutine(t *testing.T) {
	host, _, _, before := setup(t, false)
	done := make(chan struct{})
	go func() { // a goroutine of the caller's, not the bridge's
		defer close(done)
		defer func() { recover() }() // stands in for the crash
		defer RestoreOnPanic()
		panic("boom")
	}()
	<-done
	host.WantRestored(before, "on panic")
}

func TestStopGivesTheTerminalBackAndResumeTakesItAgain(t *testing.T) {
	host, _, b, before := setup(t, false)
	b.Restore() // what Stop does before stopping sbx
	if got := host.Termios(); got != before {
		t.Fatal("terminal not given back for the stop")
	}
	b.Resume()
	if got := host.Termios(); got.Lflag&unix.ICANON != 0 {
		t.Fatal("terminal not raw again after Resume")
	}
	b.Close()
	b.Resume() // too late: nothing changes after Close
	host.WantRestored(before, "by Close after a Resume")
}

func TestStartRejectsBlockingMaster(t *testing.T) {
	host := ptytest.Open(t, 24, 80)
	before := host.Termios()
	m, _, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Fd() // makes it blocking
	if _, err := Start(Options{Master: m, Input: host.Slave, Output: host.Slave}); err == nil {
		t.Fatal("Start accepted a blocking master")
	}
	if after := host.Termios(); after != before {
		t.Error("failed Start changed the terminal")
	}
}
