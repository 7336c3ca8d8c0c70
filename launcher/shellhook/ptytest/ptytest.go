// Package ptytest drives interactive shells on a pseudo-terminal for tests:
// type lines, poll the output for markers (never fixed sleeps).
package ptytest

import (
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// WaitTime bounds every wait on a shell; the polling returns as soon as the
// awaited output is there, so this is only reached when something is wrong.
const WaitTime = 15 * time.Second

// Term is an interactive shell on a pty, driven by typing lines and
// polling its output for markers.
type Term struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	tty    *Pair
	marker int
	exited chan struct{}
}

// Start starts argv in dir with exactly env, on a fresh pty; the test's
// cleanup kills it and, if the test failed, logs what it printed.
func Start(t *testing.T, name string, argv []string, dir string, env []string) *Term {
	t.Helper()
	p := Open(t, 40, 200)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = p.Slave, p.Slave, p.Slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p.Slave.Close() // the shell's now: reading the master ends with EIO once it exits
	tm := &Term{t: t, name: name, cmd: cmd, tty: p, exited: make(chan struct{})}
	go func() {
		<-p.readDone
		_ = cmd.Wait() // best effort: the exit status is not what tests look at
		close(tm.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-tm.exited:
		default:
			_ = cmd.Process.Kill() // best effort: the test is over
			<-tm.exited
		}
	})
	return tm
}

// Output is everything the shell printed so far.
func (tm *Term) Output() string { return tm.tty.Output() }

// Send types one line.
func (tm *Term) Send(line string) {
	tm.t.Helper()
	tm.Type(line + "\r")
}

// Type types keys as they are: no Enter unless s has one.
func (tm *Term) Type(s string) {
	tm.t.Helper()
	tm.tty.Type(s)
}

// Expect waits until s appears in the output after what was matched
// before, and returns the output up to and including it.
func (tm *Term) Expect(s string) string {
	tm.t.Helper()
	out, ok := tm.expectWithin(s, WaitTime)
	if !ok {
		tm.t.Fatalf("%s: no %q after %s", tm.name, s, WaitTime)
	}
	return out
}

func (tm *Term) expectWithin(s string, d time.Duration) (string, bool) {
	tm.t.Helper()
	out, ok := tm.tty.expectWithin(s, d, tm.exited)
	if !ok && !tm.Alive() {
		tm.t.Fatalf("%s exited while waiting for %q", tm.name, s)
	}
	return out, ok
}

// Sync returns once the shell has finished everything typed so far and
// shown a prompt after it (so prompt hooks have run): it types an echo
// whose output differs from the typed text, and waits for that output.
func (tm *Term) Sync() string {
	tm.t.Helper()
	tm.marker++
	tm.Send(fmt.Sprintf(`echo "SY""NC-%d"`, tm.marker))
	return tm.Expect(fmt.Sprintf("SYNC-%d\r\n", tm.marker))
}

// Run types a line and waits until it and the next prompt are done; it
// returns what was printed meanwhile.
func (tm *Term) Run(line string) string {
	tm.t.Helper()
	tm.Send(line)
	return tm.Sync()
}

// WaitExit waits for the shell to end.
func (tm *Term) WaitExit() {
	tm.t.Helper()
	select {
	case <-tm.exited:
	case <-time.After(WaitTime):
		tm.t.Fatalf("%s did not exit", tm.name)
	}
}

// Interrupt types Ctrl-C and waits for the shell's next prompt. Shells
// may drop what was typed ahead of a Ctrl-C, and a Ctrl-C typed the instant
// a program starts can reach the shell's process group before the shell
// handed the terminal to the program; so each second without a prompt it
// types Ctrl-C and a marker again.
func (tm *Term) Interrupt() {
	tm.t.Helper()
	for deadline := time.Now().Add(WaitTime); time.Now().Before(deadline); {
		tm.Type("\x03")
		tm.marker++
		tm.Send(fmt.Sprintf(`echo "SY""NC-%d"`, tm.marker))
		if _, ok := tm.expectWithin(fmt.Sprintf("SYNC-%d\r\n", tm.marker), time.Second); ok {
			return
		}
	}
	tm.t.Fatalf("%s: no prompt after Ctrl-C within %s", tm.name, WaitTime)
}

// Alive reports whether the shell still runs.
func (tm *Term) Alive() bool {
	select {
	case <-tm.exited:
		return false
	default:
		return true
	}
}
