//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// sttyBefore saves the host terminal's settings (stty -a) to compare with
// sameStty after sbx has gone.
func sttyBefore(t *testing.T, tm *testhost.Tmux) {
	t.Helper()
	line(t, tm, "clear; stty -a > /tmp/stty-a.before; echo SAVED-STTY")
	expect(t, tm, `(?m)^SAVED-STTY`)
}

func sameStty(t *testing.T, tm *testhost.Tmux, what string) {
	t.Helper()
	line(t, tm, `clear; stty -a > /tmp/stty-a.after; cmp /tmp/stty-a.before /tmp/stty-a.after && echo "SAME-""STTY"`)
	if _, err := tm.WaitFor(`SAME-STTY`, 30*time.Second); err != nil {
		diff, _, _ := asAlice(t, "diff /tmp/stty-a.before /tmp/stty-a.after")
		t.Fatalf("%s: the terminal is not as it was:\n%s", what, diff)
	}
}

// waitRaw waits until the program in the pane has put its terminal in
// raw mode (sbx relays it).
func waitRaw(t *testing.T, tm *testhost.Tmux) {
	t.Helper()
	tty, err := tm.PaneTTY()
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "root", "stty -a -F "+sh(tty)+" | grep -qw -- -icanon", 30*time.Second)
}

// killSbx sends sig to alice's sbx from outside (as kill PID or a tool
// that stops its children would), once it runs.
func killSbx(t *testing.T, sig string) {
	t.Helper()
	waitUntil(t, "root", "pgrep -u alice -x sbx", 20*time.Second)
	must(t, "root", "pkill -"+sig+" -u alice -x sbx")
}

// goneInMachine waits until no process matching pattern runs in the
// shared machine.
func goneInMachine(t *testing.T, pattern string) {
	t.Helper()
	waitUntil(t, alice, fmt.Sprintf("cd %s && ! sbx run pgrep -f %s", sh(sharedDir), sh(pattern)), 20*time.Second)
}

// TestShellEndsOnSIGTERM: kill PID of sbx shell ends the session as ssh
// does, although the interactive shell inside ignores SIGTERM: exit 143,
// the host terminal as it was, nothing left in the machine. SIGHUP (the
// terminal window closed) alike, and sbx run with a terminal alike.
func TestShellEndsOnSIGTERM(t *testing.T) {
	tm := term(t, 100, 30)
	sttyBefore(t, tm)
	for _, c := range []struct {
		sig  string
		code int
	}{{"TERM", 143}, {"HUP", 129}} {
		line(t, tm, "clear; sbx shell")
		// A job in the session too: it must go with the shell.
		line(t, tm, `sleep 777 & echo "in-shell:$$:$(hostname)"`)
		screen := expect(t, tm, `in-shell:\d+:`)
		pid := regexp.MustCompile(`in-shell:(\d+):`).FindStringSubmatch(screen)[1]
		killSbx(t, c.sig)
		sbxGone(t)
		line(t, tm, `echo "shell-rc=$?"`)
		expect(t, tm, fmt.Sprintf(`shell-rc=%d`, c.code))
		sameStty(t, tm, "sbx shell after SIG"+c.sig)
		goneInMachine(t, "sleep 777")
		waitUntil(t, alice, fmt.Sprintf("cd %s && sbx run test ! -e /proc/%s", sh(sharedDir), pid), 20*time.Second)
	}

	// sbx run on a terminal, with a command that ignores SIGTERM.
	line(t, tm, `clear; sbx run sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done' ignores-term`)
	expect(t, tm, `(?m)^ready`)
	killSbx(t, "TERM")
	sbxGone(t)
	line(t, tm, `echo "run-rc=$?"`)
	expect(t, tm, `run-rc=143`)
	sameStty(t, tm, "sbx run after SIGTERM")
	goneInMachine(t, "ignores-term")
}

// TestLoginRestoresTerminalOnSIGTERM: sbx login killed with SIGTERM or
// SIGHUP gives the terminal back (it stayed raw before) and exits 128+N.
func TestLoginRestoresTerminalOnSIGTERM(t *testing.T) {
	name := shared(t)
	tm := term(t, 100, 30)
	sttyBefore(t, tm)
	for _, c := range []struct {
		sig  string
		code int
	}{{"TERM", 143}, {"HUP", 129}} {
		line(t, tm, "clear; sbx login "+name+`; echo "login-rc=$?"`)
		expect(t, tm, `Connected to `)
		waitRaw(t, tm)
		killSbx(t, c.sig)
		expect(t, tm, fmt.Sprintf(`login-rc=%d`, c.code))
		sbxGone(t)
		sameStty(t, tm, "sbx login after SIG"+c.sig)
	}
}

// TestCtrlZStopsPipeCommand: in a job-control shell, Ctrl-Z on sbx run
// without a terminal for its input stops the command with sbx, fg
// continues both, and the exit status is still the command's.
func TestCtrlZStopsPipeCommand(t *testing.T) {
	tm := term(t, 100, 30)
	must(t, alice, fmt.Sprintf("cd %s && rm -f ticks stop", sh(sharedDir)))
	t.Cleanup(func() { asAlice(t, fmt.Sprintf("cd %s && rm -f ticks stop", sh(sharedDir))) })
	size := func() int {
		out := must(t, alice, fmt.Sprintf("cd %s && stat -c %%s ticks 2>/dev/null || echo 0", sh(sharedDir)))
		n, _ := strconv.Atoi(strings.TrimSpace(out))
		return n
	}
	line(t, tm, `clear; { sbx run sh -c 'while [ ! -e stop ]; do date +%s%N >>ticks; sleep 0.1; done; exit 7' </dev/null; echo "run-rc=$?"; } | cat`)
	waitUntil(t, alice, fmt.Sprintf("cd %s && test -s ticks", sh(sharedDir)), 60*time.Second)
	if err := tm.SendKeys("C-z"); err != nil {
		t.Fatal(err)
	}
	expect(t, tm, `Stopped`)
	// The stop reaches the machine a moment after sbx stops; then the
	// file must not grow over many of the loop's 0.1 s ticks.
	var stopped int
	waitUntilCond(t, "the command to stop", 20*time.Second, func() bool {
		a := size()
		time.Sleep(500 * time.Millisecond)
		stopped = size()
		return a == stopped
	})
	time.Sleep(time.Second)
	if now := size(); now != stopped {
		t.Fatalf("the command went on while sbx was stopped: %d → %d bytes", stopped, now)
	}
	line(t, tm, "fg")
	waitUntilCond(t, "the command to go on after fg", 20*time.Second, func() bool { return size() > stopped })
	must(t, alice, fmt.Sprintf("cd %s && touch stop", sh(sharedDir)))
	expect(t, tm, `run-rc=7`)
	sbxGone(t)
}

// waitUntilCond polls cond until it holds or timeout passes.
func waitUntilCond(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
