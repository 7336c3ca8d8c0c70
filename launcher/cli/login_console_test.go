package cli

import (
	"bytes"
	"github.com/sbxdev/sbx/launcher/bridge"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
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

// consoleRig is a host terminal (user side) and a machine PTY (the getty's
// side) with runConsole between them.
type consoleRig struct {
	user, userTTY *os.File // the person types into user; sbx reads userTTY
	master        *os.File // the machine's PTY master, given to runConsole
	slave         *os.File // what the getty holds
	gone          chan struct{}
	done          chan consoleEnd
	seen          bytes.Buffer
}

func newConsoleRig(t *testing.T) *consoleRig {
	t.Helper()
	user, userTTY, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	user, master, slave = pollable(t, user), pollable(t, master), pollable(t, slave)
	raw(t, slave)
	r := &consoleRig{user: user, userTTY: userTTY, master: master, slave: slave, gone: make(chan struct{}), done: make(chan consoleEnd, 1)}
	t.Cleanup(func() { user.Close(); userTTY.Close(); slave.Close() })
	return r
}

func (r *consoleRig) start(t *testing.T) {
	go func() {
		end, err := runConsole(consoleOptions{Master: r.master, In: r.userTTY, Out: r.userTTY, Gone: r.gone})
		if err != nil {
			t.Errorf("runConsole: %v", err)
		}
		r.done <- end
	}()
	waitRaw(t, r.userTTY)
}

// pollable returns f with a non-blocking descriptor, so that its reads
// can time out, as the master machined passes is.
func pollable(t *testing.T, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), f.Name())
}

// waitRaw waits until runConsole has put the terminal in raw mode (keys
// typed before would still be cooked).
func waitRaw(t *testing.T, f *os.File) {
	t.Helper()
	fd, err := bridge.RawFd(f)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ICANON == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the console did not put the terminal in raw mode")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// raw turns off echo and line editing so bytes arrive as written.
func raw(t *testing.T, f *os.File) {
	t.Helper()
	fd, err := bridge.RawFd(f)
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
}

// expectOn reads f until want has appeared (f's reads must not block forever:
// a deadline bounds them).
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

func TestConsoleRelaysAndEscapes(t *testing.T) {
	r := newConsoleRig(t)
	ttyFd, err := bridge.RawFd(r.userTTY)
	if err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(ttyFd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	r.start(t)

	// Keys reach the machine, its output reaches the terminal.
	r.user.Write([]byte("root\r"))
	expectOn(t, r.slave, "root\r")
	r.slave.Write([]byte("Password: "))
	expectOn(t, r.user, "Password: ")

	// The getty goes away (logout, vhangup) and a new one opens the PTY:
	// the console stays connected.
	name := r.slave.Name()
	r.slave.Close()
	time.Sleep(3 * retryEIO) // let the relay meet EIO at least once
	again, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.slave = again
	raw(t, again)
	again.Write([]byte("login: "))
	expectOn(t, r.user, "login: ")

	// ^]^]^] leaves; the ^] are not sent to the machine.
	r.user.Write([]byte("\x1d\x1d\x1d"))
	select {
	case end := <-r.done:
		if end != endEscape {
			t.Fatalf("ended with %d, want the escape", end)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("^]^]^] did not end the console")
	}
	r.slave.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := r.slave.Read(make([]byte, 16)); n > 0 {
		t.Errorf("the escape keys reached the machine")
	}
	after, err := unix.IoctlGetTermios(ttyFd, unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("terminal not restored:\nbefore %+v\nafter  %+v", before, after)
	}
}

func TestConsoleEndsWhenMachineGoes(t *testing.T) {
	r := newConsoleRig(t)
	r.start(t)
	r.slave.Write([]byte("hello"))
	expectOn(t, r.user, "hello")
	close(r.gone)
	select {
	case end := <-r.done:
		if end != endGone {
			t.Fatalf("ended with %d, want endGone", end)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the console did not end when the machine went")
	}
}
