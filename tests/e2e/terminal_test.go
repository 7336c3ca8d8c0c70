//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// term starts bash (no rc files) in tmux as alice, in the shared project.
func term(t *testing.T, cols, rows int) *testhost.Tmux {
	t.Helper()
	shared(t)
	tm, err := host.NewTmux(alice, cols, rows, "bash", "--noprofile", "--norc", "-i")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	line(t, tm, "PS1='$ '; cd "+sh(sharedDir)+" && clear")
	return tm
}

// line types s and Enter.
func line(t *testing.T, tm *testhost.Tmux, s string) {
	t.Helper()
	if err := tm.SendLine(s); err != nil {
		t.Fatal(err)
	}
}

// expect waits for pattern on the screen.
func expect(t *testing.T, tm *testhost.Tmux, pattern string) string {
	t.Helper()
	screen, err := tm.WaitFor(pattern, 60*time.Second)
	if err != nil {
		t.Fatalf("waiting for %q: %v\nscreen:\n%s", pattern, err, screen)
	}
	return screen
}

// TestTerminal: a real PTY inside, its size from the first byte, resizes,
// Ctrl-C, and the host terminal as it was afterwards.
func TestTerminal(t *testing.T) {
	tm := term(t, 100, 30)

	line(t, tm, "stty -g > /tmp/stty.before; stty size")
	hostSize := expect(t, tm, `(?m)^\d+ 100$`)
	rows := regexp.MustCompile(`(?m)^(\d+) 100$`).FindStringSubmatch(hostSize)[1]

	// A terminal of the machine's own (a pts of the guest's devpts, not the
	// host's), with the right size from the first byte.
	line(t, tm, `clear; sbx run sh -c 'tty; stty size; test "$(stat -L -c %d /proc/self/fd/0)" = "$(stat -c %d /dev/pts/ptmx)" && echo GUEST-PTY; test -t 1 && echo OUT-TTY'`)
	expect(t, tm, `(?s)/dev/pts/\d+\s+`+rows+` 100\s+GUEST-PTY\s+OUT-TTY`)

	// Resizes follow.
	line(t, tm, `clear; sbx run sh -c 'trap "stty size" WINCH; echo ready; while :; do sleep 0.05; done'`)
	expect(t, tm, `ready`)
	if err := tm.Resize(120, 40); err != nil {
		t.Fatal(err)
	}
	expect(t, tm, `(?m)^\d+ 120$`)

	// Ctrl-C interrupts the command inside, not sbx's bookkeeping: 130.
	tm.SendKeys("C-c")
	sbxGone(t)
	line(t, tm, `echo "rc=$?"`)
	expect(t, tm, `rc=130`)
	line(t, tm, `clear; sbx run sleep 1000`)
	time.Sleep(300 * time.Millisecond) // let it start; the check below polls
	tm.SendKeys("C-c")
	sbxGone(t)
	line(t, tm, `echo "rc2=$?"`)
	expect(t, tm, `rc2=130`)

	// Mixed: stdin a terminal, stdout a pipe — as on the host.
	line(t, tm, `clear; sbx run sh -c 'test -t 0 && echo IN-TTY; test -t 1 || echo OUT-PIPE' | cat`)
	expect(t, tm, `IN-TTY\s+OUT-PIPE`)

	// The host terminal is as it was: after a normal end, a killed command,
	// and sbx itself killed by SIGTERM.
	line(t, tm, `clear; sbx run sh -c 'kill -KILL $$'; echo "rc3=$?"`)
	expect(t, tm, `rc3=137`)
	line(t, tm, `clear; sbx run sleep 999`)
	waitUntil(t, "root", "pgrep -u alice -f 'sbx run sleep 999'", 20*time.Second)
	must(t, "root", "pkill -TERM -u alice -f 'sbx run sleep 999'")
	sbxGone(t)
	line(t, tm, `echo "rc4=$?"`)
	expect(t, tm, `rc4=143`)
	line(t, tm, `clear; stty -g > /tmp/stty.after; cmp /tmp/stty.before /tmp/stty.after && echo SAME-STTY`)
	expect(t, tm, `SAME-STTY`)
	waitUntil(t, alice, fmt.Sprintf("cd %s && ! sbx run pgrep -f 'sleep 999'", sh(sharedDir)), 15*time.Second)
}

// TestShell: sbx shell is an interactive login shell in the machine at the
// same directory, with job control.
func TestShell(t *testing.T) {
	tm := term(t, 100, 30)
	name := shared(t)
	line(t, tm, "mkdir -p sub && cd sub && sbx shell")
	line(t, tm, `echo "in=$(hostname):$(pwd):$SBX_MACHINE"`)
	expect(t, tm, fmt.Sprintf(`in=%s:%s/sub:%s`, name, regexp.QuoteMeta(sharedDir), name))
	// Job control inside.
	line(t, tm, "sleep 500")
	time.Sleep(300 * time.Millisecond)
	tm.SendKeys("C-z")
	expect(t, tm, `Stopped\s+sleep 500`)
	line(t, tm, "kill %1; jobs; echo jobs-done")
	expect(t, tm, `jobs-done`)
	line(t, tm, "exit 5")
	sbxGone(t)
	line(t, tm, `echo "shell-rc=$? host=$(hostname) pwd=$(pwd)"`)
	screen := expect(t, tm, `shell-rc=5 host=\S+ pwd=`)
	if strings.Contains(screen, "host="+name+" ") {
		t.Errorf("after exit still in the machine:\n%s", screen)
	}

	// Outside any project, sbx shell is the host shell, with a note.
	line(t, tm, `clear; cd /tmp && sbx shell`)
	expect(t, tm, `no .sandbox here`)
	line(t, tm, `echo "fallback=$(hostname)"; exit`)
	expect(t, tm, `fallback=sbx-testhost`)
}

// sbxGone waits until alice's sbx has exited. Keys typed while sbx still
// relays the terminal go to the machine's side (as with ssh) and are lost
// when the command ends, so the tests type the next line only after.
func sbxGone(t *testing.T) {
	t.Helper()
	waitUntil(t, "root", "! pgrep -u alice -x sbx", 30*time.Second)
}
