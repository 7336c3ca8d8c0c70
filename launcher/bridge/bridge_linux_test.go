package bridge

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// pair is a PTY with its master read continuously into a buffer.
type pair struct {
	m, s *os.File
	mu   sync.Mutex
	out  bytes.Buffer
}

func newPair(t *testing.T) *pair {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return &pair{m: m, s: s}
}

func (p *pair) collect() {
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := p.m.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
}

func (p *pair) shows(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Contains(p.out.String(), s)
}

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
// makes of the master it receives.
func nonblocking(t *testing.T, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), "master")
}

func termios(t *testing.T, f *os.File) unix.Termios {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return *tio
}

// setup: host is the user's terminal (the test types into host.m and reads
// the screen from it); guest is the PTY in the machine (the test plays the
// program on guest.s).
func setup(t *testing.T) (host, guest *pair, b *Bridge, before unix.Termios) {
	t.Helper()
	host, guest = newPair(t), newPair(t)
	host.collect()
	before = termios(t, host.s)
	b, err := Start(Options{Master: nonblocking(t, guest.m), Input: host.s, Output: host.s, Size: host.s})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return host, guest, b, before
}

func TestCopiesBothWaysInRawModeAndRestores(t *testing.T) {
	host, guest, b, before := setup(t)
	if raw := termios(t, host.s); raw.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != 0 {
		t.Fatalf("host terminal not raw: lflag %#x", raw.Lflag)
	}
	host.m.Write([]byte("typed\r"))
	buf := make([]byte, 64)
	n, err := guest.s.Read(buf) // the guest's line discipline turns CR into NL
	if err != nil || string(buf[:n]) != "typed\n" {
		t.Fatalf("guest read %q, %v", buf[:n], err)
	}
	guest.s.Write([]byte("printed\n"))
	waitFor(t, "guest output on the host screen", func() bool { return host.shows("printed\r\n") })
	b.Close()
	if after := termios(t, host.s); after != before {
		t.Errorf("terminal not restored:\n%+v\n%+v", before, after)
	}
}

func TestFollowsHostSizeOnSIGWINCH(t *testing.T) {
	host, guest, _, _ := setup(t)
	if err := pty.Setsize(host.m, &pty.Winsize{Rows: 41, Cols: 142}); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(os.Getpid(), syscall.SIGWINCH) // the kernel sends it to the terminal's foreground group, which the test is not
	waitFor(t, "the guest PTY to take the host's size", func() bool {
		ws, err := unix.IoctlGetWinsize(int(guest.s.Fd()), unix.TIOCGWINSZ)
		return err == nil && ws.Row == 41 && ws.Col == 142
	})
}

func TestFinishReadsTheTailUntilEIO(t *testing.T) {
	host, guest, b, before := setup(t)
	tail := strings.Repeat("x", 50000) + "END"
	guest.s.Write([]byte(tail))
	guest.s.Close() // the command exited: nobody holds the slave
	b.Finish()
	waitFor(t, "the output's tail on the host screen", func() bool { return host.shows("xEND") })
	if after := termios(t, host.s); after != before {
		t.Error("terminal not restored by Finish")
	}
}

func TestFinishDoesNotHangWhileABackgroundProcessHoldsTheSlave(t *testing.T) {
	_, guest, b, _ := setup(t)
	guest.s.Write([]byte("still open"))
	start := time.Now()
	b.Finish() // guest.s stays open, like a background job's descriptor
	if d := time.Since(start); d > DrainIdle+time.Second {
		t.Errorf("Finish took %v", d)
	}
}

func TestRestoreOnPanic(t *testing.T) {
	host, _, b, before := setup(t)
	func() {
		defer func() { recover() }() // stands in for the crash
		defer b.RestoreOnPanic()
		panic("boom")
	}()
	if after := termios(t, host.s); after != before {
		t.Error("terminal not restored on panic")
	}
}

func TestStartRejectsBlockingMaster(t *testing.T) {
	host, guest := newPair(t), newPair(t)
	before := termios(t, host.s)
	guest.m.Fd() // makes it blocking
	if _, err := Start(Options{Master: guest.m, Input: host.s, Output: host.s}); err == nil {
		t.Fatal("Start accepted a blocking master")
	}
	if after := termios(t, host.s); after != before {
		t.Error("failed Start changed the terminal")
	}
}
