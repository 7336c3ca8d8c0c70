//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// rebuildScenario rebuilds the running machine name of the project at dir
// to the trusted .sandbox want (a new release): a failing package, Ctrl-C
// and a SIGKILL of the privileged step leave the old machine intact and
// running; then a rebuild succeeds, carrying the home directory over and
// keeping the old machine as a snapshot.
func rebuildScenario(t *testing.T, dir, name, want string) {
	t.Helper()
	in := func(script string) string { return fmt.Sprintf("cd %s && %s", sh(dir), script) }
	must(t, alice, in("sbx run sh -c 'echo kept > ~/kept'"))
	oldIntact := func(what string) {
		t.Helper()
		if st := machineState(t, name); st != "running" {
			t.Fatalf("%s: the old machine is %s, not running", what, st)
		}
		if got := inMachine(t, name, ". /etc/os-release; echo $VERSION_CODENAME; cat /home/alice/kept"); got != "trixie\nkept\n" {
			t.Fatalf("%s: the old machine changed: %q", what, got)
		}
		if out := must(t, alice, in("sbx run true 2>&1")); !strings.Contains(out, "sbx rebuild") {
			t.Errorf("%s: the base change is no longer pending:\n%s", what, out)
		}
	}

	// A package that does not exist: the rebuild fails, nothing changes.
	bad := strings.Replace(want, "[Machine]\n", "[Machine]\nPackages=no-such-package-sbx\n", 1)
	writeSandbox(t, dir, bad)
	must(t, alice, in("sbx allow >/dev/null"))
	start := time.Now()
	if _, stderr, code := asAlice(t, in("sbx rebuild --force")); code == 0 || !strings.Contains(stderr, "no-such-package-sbx") {
		t.Fatalf("rebuild with a bad package: exit %d\n%s", code, stderr)
	}
	record("rebuild failing on a bad package (new base bootstrapped)", time.Since(start))
	writeSandbox(t, dir, want)
	must(t, alice, in("sbx allow >/dev/null"))
	oldIntact("after a failed rebuild")
	if out := leftovers(t, name); strings.Contains(out, ".sbx-build") {
		t.Errorf("a failed rebuild left its build directory:\n%s", out)
	}

	for _, c := range []struct {
		name string
		kill func(t *testing.T)
	}{
		{"sigint", sigint},
		{"sigkill", func(t *testing.T) { must(t, "root", "systemctl kill -s KILL 'sbx-rebuild-*'") }},
	} {
		cmd, lines := startSbx(t, dir, "sbx", "rebuild", "--force")
		waitLine(t, lines, "Copying the base system", 5*time.Minute)
		c.kill(t)
		if err := cmd.Wait(); err == nil {
			t.Fatalf("%s: the interrupted rebuild exited 0", c.name)
		}
		for range lines {
		}
		waitUntil(t, "root", "! systemctl is-active -q 'sbx-rebuild-*'", 90*time.Second)
		oldIntact("after " + c.name)
	}

	start = time.Now()
	out := must(t, alice, in("sbx rebuild --force 2>&1"))
	record("rebuild from the cached base", time.Since(start))
	if !strings.Contains(out, "kept as snapshot before-rebuild-") {
		t.Errorf("rebuild does not name the snapshot of the old machine:\n%s", out)
	}
	got := inMachine(t, name, ". /etc/os-release; echo $VERSION_CODENAME; cat /home/alice/kept; cat /var/log/sbx-setup.log")
	if got != "bookworm\nkept\ntwo\n" {
		t.Errorf("after rebuild, inside: %q (want the new release, the home kept, Setup= run once)", got)
	}
	if snaps := must(t, alice, "sbx snapshots "+name); !strings.Contains(snaps, "before-rebuild-") {
		t.Errorf("sbx snapshots does not list the old machine:\n%s", snaps)
	}
	if _, stderr, code := asAlice(t, in("sbx run true")); code != 0 || stderr != "" {
		t.Errorf("after rebuild sbx run: exit %d, stderr %q (want in line, quiet)", code, stderr)
	}
	if st := must(t, alice, in("sbx status")); !strings.Contains(st, "in line with .sandbox") {
		t.Errorf("sbx status after rebuild:\n%s", st)
	}
}
