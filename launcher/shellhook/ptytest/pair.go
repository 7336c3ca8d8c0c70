package ptytest

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Pair is a pseudo-terminal playing the user's terminal: the test holds
// Master (it types there and reads the screen, which is collected all the
// time), the program under test gets Slave.
type Pair struct {
	t             *testing.T
	Master, Slave *os.File
	mu            sync.Mutex
	out           bytes.Buffer
	seen          int           // output before this offset has been matched already
	readDone      chan struct{} // closed when reading Master failed (EIO: the slave is closed everywhere)
}

// Open makes a pair of rows×cols; the test's cleanup closes it and, if
// the test failed, logs the screen.
func Open(t *testing.T, rows, cols uint16) *Pair {
	t.Helper()
	m, s, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	p := &Pair{t: t, Master: m, Slave: s, readDone: make(chan struct{})}
	t.Cleanup(func() {
		m.Close()
		s.Close()
		if t.Failed() {
			t.Logf("terminal %s showed:\n%q", s.Name(), p.Output())
		}
	})
	if err := pty.Setsize(m, &pty.Winsize{Rows: rows, Cols: cols}); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.readDone)
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p
}

// Output is everything the terminal showed so far.
func (p *Pair) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Type types keys as they are.
func (p *Pair) Type(s string) {
	p.t.Helper()
	if _, err := p.Master.Write([]byte(s)); err != nil {
		p.t.Fatalf("typing %q: %v", s, err)
	}
}

// Expect waits until s appears on the screen after what was matched
// before, and returns the output up to and including it.
func (p *Pair) Expect(s string) string {
	p.t.Helper()
	out, ok := p.expectWithin(s, WaitTime, nil)
	if !ok {
		p.t.Fatalf("the terminal did not show %q within %s; it shows %q", s, WaitTime, p.Output())
	}
	return out
}

// expectWithin waits up to d for s; once ended is closed (the program
// exited) it stops waiting when all output is in and s is not there.
func (p *Pair) expectWithin(s string, d time.Duration, ended <-chan struct{}) (string, bool) {
	deadline := time.Now().Add(d)
	for {
		p.mu.Lock()
		all := p.out.String()
		from := p.seen
		if i := strings.Index(all[from:], s); i >= 0 {
			p.seen = from + i + len(s)
			p.mu.Unlock()
			return all[from:p.seen], true
		}
		p.mu.Unlock()
		select {
		case <-ended:
			if strings.Contains(p.Output()[from:], s) {
				continue
			}
			return "", false
		default:
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Termios is the terminal's current mode (as the program under test left
// it: raw while sbx relays, the same as before once it is done).
func (p *Pair) Termios() unix.Termios {
	p.t.Helper()
	tio, err := unix.IoctlGetTermios(int(p.Slave.Fd()), ioctlGetTermios)
	if err != nil {
		p.t.Fatal(err)
	}
	return *tio
}

// WantRestored fails the test (and goes on) when the terminal's mode is
// not before any more: sbx must give the terminal back as it found it on
// every path. when says which path, for the message.
func (p *Pair) WantRestored(before unix.Termios, when string) {
	p.t.Helper()
	if after := p.Termios(); after != before {
		p.t.Errorf("terminal not restored %s:\nbefore %+v\nafter  %+v", when, before, after)
	}
}

// WaitRaw waits until the program has put the terminal in raw mode (keys
// typed before would still be cooked).
func (p *Pair) WaitRaw() {
	p.t.Helper()
	for deadline := time.Now().Add(WaitTime); p.Termios().Lflag&unix.ICANON != 0; {
		if time.Now().After(deadline) {
			p.t.Fatal("the terminal was not put in raw mode")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
