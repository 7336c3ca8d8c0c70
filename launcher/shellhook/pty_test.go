package shellhook

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// waitTime bounds every wait on a shell; the polling returns as soon as the
// awaited output is there, so this is only reached when something is wrong.
const waitTime = 15 * time.Second

// term is an interactive shell on a pty, driven by typing lines and
// polling its output for markers.
type term struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	pty    *os.File
	mu     sync.Mutex
	out    bytes.Buffer
	seen   int // output before this offset has been matched already
	marker int
	exited chan struct{}
}

// startTerm starts argv in dir with exactly env, on a fresh pty.
func startTerm(t *testing.T, name string, argv []string, dir string, env []string) *term {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	tm := &term{t: t, name: name, cmd: cmd, pty: f, exited: make(chan struct{})}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				break
			}
		}
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
		f.Close()
		if t.Failed() {
			t.Logf("%s output:\n%s", name, tm.output())
		}
	})
	return tm
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// send types one line.
func (tm *term) send(line string) {
	tm.t.Helper()
	if _, err := tm.pty.Write([]byte(line + "\r")); err != nil {
		tm.t.Fatalf("%s: typing %q: %v", tm.name, line, err)
	}
}

// expect waits until s appears in the output after what was matched
// before, and returns the output up to and including it.
func (tm *term) expect(s string) string {
	tm.t.Helper()
	deadline := time.Now().Add(waitTime)
	for {
		tm.mu.Lock()
		all := tm.out.String()
		from := tm.seen
		if i := strings.Index(all[from:], s); i >= 0 {
			tm.seen = from + i + len(s)
			tm.mu.Unlock()
			return all[from:tm.seen]
		}
		tm.mu.Unlock()
		select {
		case <-tm.exited:
			if strings.Contains(tm.output()[from:], s) {
				continue
			}
			tm.t.Fatalf("%s exited while waiting for %q", tm.name, s)
		default:
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s: no %q after %s", tm.name, s, waitTime)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sync returns once the shell has finished everything typed so far and
// shown a prompt after it (so prompt hooks have run): it types an echo
// whose output differs from the typed text, and waits for that output.
func (tm *term) sync() string {
	tm.t.Helper()
	tm.marker++
	tm.send(fmt.Sprintf(`echo "SY""NC-%d"`, tm.marker))
	return tm.expect(fmt.Sprintf("SYNC-%d\r\n", tm.marker))
}

// run types a line and waits until it and the next prompt are done; it
// returns what was printed meanwhile.
func (tm *term) run(line string) string {
	tm.t.Helper()
	tm.send(line)
	return tm.sync()
}

// waitExit waits for the shell to end.
func (tm *term) waitExit() {
	tm.t.Helper()
	select {
	case <-tm.exited:
	case <-time.After(waitTime):
		tm.t.Fatalf("%s did not exit", tm.name)
	}
}

// alive reports whether the shell still runs.
func (tm *term) alive() bool {
	select {
	case <-tm.exited:
		return false
	default:
		return true
	}
}
