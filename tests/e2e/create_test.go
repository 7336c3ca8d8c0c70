//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// leftovers lists what a machine called name left on the host.
func leftovers(t *testing.T, name string) string {
	t.Helper()
	out := must(t, "root", fmt.Sprintf(`cd /var/lib/machines && ls -a | grep -e %[1]s -e '^\.sbx-build' -e '^\.tmp' || true
ls -a /var/lib/machines/.sbx-cache 2>/dev/null | grep '^\.tmp' || true
machinectl list-images --no-legend | grep %[1]s || true
machinectl list --no-legend | grep %[1]s || true
systemctl list-units --all --no-legend 'sbx-*' | grep -v inactive || true`, sh(name)))
	return strings.TrimSpace(out)
}

// startCreate starts `sbx create` in dir as alice, with its stderr lines
// arriving on a channel.
func startCreate(t *testing.T, dir string) (*exec.Cmd, <-chan string) {
	t.Helper()
	return startSbx(t, dir, "sbx", "create")
}

// waitLine waits for a line containing s, and returns all lines seen.
func waitLine(t *testing.T, lines <-chan string, s string, timeout time.Duration) []string {
	t.Helper()
	var seen []string
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("sbx create ended before saying %q:\n%s", s, strings.Join(seen, "\n"))
			}
			seen = append(seen, l)
			if strings.Contains(l, s) {
				return seen
			}
		case <-deadline:
			t.Fatalf("no %q within %s:\n%s", s, timeout, strings.Join(seen, "\n"))
		}
	}
}

// TestInterruptedCreate interrupts create at several points — Ctrl-C
// (SIGINT) while bootstrapping a new base, while copying, while
// configuring, and SIGKILL of the privileged step — and checks that nothing
// is left under the machine's name and that the next create works.
func TestInterruptedCreate(t *testing.T) {
	shared(t)
	cases := []struct {
		name, dir, sandbox, phase string
		kill                      func(t *testing.T)
	}{
		// Packages= are layered onto the cached base: only a base not
		// cached yet (another release) bootstraps.
		{"sigint-bootstrap", "/home/alice/src/int-boot", "[Machine]\nRelease=sid\nPackages=hello\n", "Bootstrapping", sigint},
		{"sigint-copy", "/home/alice/src/int-copy", "[Machine]\nPackages=python3-minimal\n", "Copying", sigint},
		{"sigkill-helper", "/home/alice/src/int-kill", "[Machine]\nPackages=python3-minimal\n", "Copying", killHelper},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			newProject(t, c.dir, c.sandbox)
			cmd, lines := startCreate(t, c.dir)
			waitLine(t, lines, c.phase, 5*time.Minute)
			c.kill(t)
			err := cmd.Wait()
			for range lines {
			}
			if err == nil {
				t.Fatalf("interrupted sbx create exited 0")
			}
			// The machine never appears under its name; the privileged
			// step cleans its build directory (or the next create does,
			// after a SIGKILL).
			waitUntil(t, "root", "! systemctl is-active -q 'sbx-create-*'", 90*time.Second)
			out := must(t, "root", "ls -a /var/lib/machines; machinectl list-images --no-legend")
			if strings.Contains(out, "\nint-") || strings.Contains(out, " int-") {
				t.Errorf("after an interrupted create a machine is there:\n%s", out)
			}
			if strings.HasPrefix(c.name, "sigint") {
				if strings.Contains(out, ".sbx-build") || strings.Contains(must(t, "root", "ls -a /var/lib/machines/.sbx-cache"), ".tmp") {
					t.Errorf("Ctrl-C left a build directory:\n%s", out)
				}
			}
			if c.name == "sigint-copy" || c.name == "sigkill-helper" {
				// The next create starts clean and works.
				createProject(t, c.dir)
				must(t, alice, fmt.Sprintf("cd %s && sbx rm --force", c.dir))
				if out := must(t, "root", "ls -a /var/lib/machines"); strings.Contains(out, ".sbx-build") {
					t.Errorf("after a good create a build directory is left:\n%s", out)
				}
			}
		})
	}
}

func sigint(t *testing.T) {
	t.Helper()
	// The process is nsenter → setpriv → sbx; signal sbx itself, as a
	// terminal's Ctrl-C would.
	must(t, "root", "pkill -INT -x sbx -u alice")
}

func killHelper(t *testing.T) {
	t.Helper()
	must(t, "root", "systemctl kill -s KILL 'sbx-create-*'")
}

// TestInterruptedSetup: Ctrl-C during Setup= keeps the machine, marked
// incomplete; it cannot start, and the next create only re-runs Setup=.
func TestInterruptedSetup(t *testing.T) {
	shared(t)
	dir := "/home/alice/src/int-setup"
	newProject(t, dir, "[Machine]\nPackages=python3-minimal\n\n[Exec]\nSetup=sleep 600\n")
	cmd, lines := startCreate(t, dir)
	waitLine(t, lines, "Setup 1/1", 5*time.Minute)
	sigint(t)
	if err := cmd.Wait(); err == nil {
		t.Fatal("interrupted sbx create exited 0")
	}
	for range lines {
	}
	waitUntil(t, "root", "! systemctl is-active -q 'sbx-create-*'", 90*time.Second)
	if out := must(t, alice, "sbx list"); !regexpMatch(`(?m)^int-setup-\S+\s+stopped \(incomplete\)`, out) {
		t.Errorf("after Ctrl-C in Setup=, sbx list:\n%s", out)
	}
	if _, errOut, code := asAlice(t, "cd "+dir+" && sbx start"); code != 125 || !strings.Contains(errOut, "incomplete") {
		t.Errorf("starting an incomplete machine: exit %d\n%s", code, errOut)
	}
	// A failing Setup= fails create with its own status and keeps the machine.
	must(t, alice, "cd "+dir+" && printf '[Machine]\\nPackages=python3-minimal\\n\\n[Exec]\\nSetup=sh -c \"exit 7\"\\n' > .sandbox && sbx allow")
	if _, errOut, code := asAlice(t, "cd "+dir+" && sbx create"); code != 7 || !strings.Contains(errOut, "exit status 7") {
		t.Errorf("failing Setup=: exit %d\n%s", code, errOut)
	}
	must(t, alice, "cd "+dir+" && printf '[Machine]\\nPackages=python3-minimal\\n\\n[Exec]\\nSetup=touch /setup-ran\\n' > .sandbox && sbx allow")
	start := time.Now()
	out := must(t, alice, "cd "+dir+" && sbx create 2>&1")
	if !strings.Contains(out, "did not finish; running it again") || strings.Contains(out, "Copying") {
		t.Errorf("re-create after a failed Setup= rebuilt instead of resuming:\n%s", out)
	}
	record("create resuming Setup= only", time.Since(start))
	must(t, alice, "cd "+dir+" && sbx run test -f /setup-ran && sbx rm --force")
}

// TestConcurrentCreates runs two creates of one project at once: one
// machine results, the second waited for the first.
func TestConcurrentCreates(t *testing.T) {
	shared(t)
	dir := "/home/alice/src/twice"
	newProject(t, dir, "[Machine]\nPackages=python3-minimal\n")
	var wg sync.WaitGroup
	outs := make([]string, 2)
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := host.Sh(testCtx(t), alice, "cd "+dir+" && sbx create 2>&1")
			outs[i], codes[i] = r.Stdout, r.Code
		}()
	}
	wg.Wait()
	for i := range 2 {
		if codes[i] != 0 {
			t.Errorf("create %d: exit %d\n%s", i, codes[i], outs[i])
		}
	}
	if !strings.Contains(outs[0]+outs[1], "waiting") {
		t.Errorf("neither create waited for the other:\n%s\n---\n%s", outs[0], outs[1])
	}
	if n := strings.Count(must(t, alice, "sbx list --quiet"), "twice-"); n != 1 {
		t.Errorf("%d machines for one project", n)
	}
	must(t, alice, "cd "+dir+" && sbx run true && sbx rm --force")
}

// TestMalformedSandbox: errors name file and line, and nothing is created.
func TestMalformedSandbox(t *testing.T) {
	dir := "/home/alice/src/bad"
	must(t, alice, "mkdir -p "+dir+" && printf '[Machine]\\nRelease=trixie\\nPakages=git\\n' > "+dir+"/.sandbox")
	_, errOut, code := asAlice(t, "cd "+dir+" && sbx create")
	if code != 125 || !strings.Contains(errOut, dir+"/.sandbox:3:") || !strings.Contains(errOut, "Packages") {
		t.Errorf("malformed .sandbox: exit %d\n%s", code, errOut)
	}
	if out := must(t, alice, "sbx list --quiet"); strings.Contains(out, "bad-") {
		t.Errorf("a machine was created from a malformed .sandbox")
	}
}

// TestUntrustedSandbox: nothing is created or run for an untrusted file.
func TestUntrustedSandbox(t *testing.T) {
	dir := "/home/alice/src/untrusted"
	must(t, alice, "mkdir -p "+dir+" && printf '[Machine]\\n' > "+dir+"/.sandbox")
	for _, cmd := range []string{"sbx create", "sbx run true", "sbx shell </dev/null"} {
		_, errOut, code := asAlice(t, "cd "+dir+" && "+cmd)
		if code != 125 || !strings.Contains(errOut, "not trusted") || !strings.Contains(errOut, "sbx allow") {
			t.Errorf("%s on an untrusted project: exit %d\n%s", cmd, code, errOut)
		}
	}
	if out := leftovers(t, "untrusted-"); out != "" {
		t.Errorf("something was made for an untrusted project:\n%s", out)
	}
}

// TestAwkwardPaths: a ':' and a comma in the project path work (bound with
// escaping); a path with a newline is refused clearly.
func TestAwkwardPaths(t *testing.T) {
	shared(t)
	dir := "/home/alice/src/a:b,c"
	newProject(t, dir, "[Machine]\nPackages=python3-minimal\n")
	createProject(t, dir)
	out := must(t, alice, fmt.Sprintf("cd %s && sbx run pwd && sbx run ls .sandbox", sh(dir)))
	if out != dir+"\n.sandbox\n" {
		t.Errorf("inside the machine of %q: %q", dir, out)
	}
	must(t, alice, fmt.Sprintf("cd %s && sbx rm --force", sh(dir)))

	nl := "/home/alice/src/new\nline"
	must(t, alice, fmt.Sprintf("mkdir -p %[1]s && printf '[Machine]\\n' > %[1]s/.sandbox && cd %[1]s && sbx allow", sh(nl)))
	_, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx create", sh(nl)))
	if code != 125 || !strings.Contains(errOut, "line break") {
		t.Errorf("project path with a newline: exit %d\n%s", code, errOut)
	}
}

// TestNoSystemd runs sbx on the outer machine, whose PID 1 is not systemd:
// one clear sentence, at once.
func TestNoSystemd(t *testing.T) {
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		t.Fatal("this test expects the outer machine not to run systemd (it runs the test host)")
	}
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("sbx-nosystemd-%d", os.Getpid()))
	build := exec.Command("go", "build", "-o", bin, "./cmd/sbx")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	defer os.Remove(bin)
	start := time.Now()
	cmd := exec.CommandContext(context.Background(), bin, "status", "somemachine")
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 125 || !strings.Contains(string(out), "systemd") || time.Since(start) > 2*time.Second {
		t.Errorf("sbx status on a host without systemd: %v after %s:\n%s", err, time.Since(start), out)
	}
}
