//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// inMachine runs script as root inside machine name, independently of
// sbx: nsenter into its init's namespaces from the test host.
func inMachine(t *testing.T, name, script string) string {
	t.Helper()
	return must(t, "root", fmt.Sprintf("nsenter -t %s -a sh -c %s", leader(t, name), sh(script)))
}

// writeSandbox replaces the project's .sandbox (not trusted until allowed).
func writeSandbox(t *testing.T, dir, sandbox string) {
	t.Helper()
	must(t, alice, fmt.Sprintf("printf '%%s' %s > %s/.sandbox", sh(sandbox), sh(dir)))
}

// TestApplyOnUse walks the contract's table on one machine: each edit of
// .sandbox, once allowed, is applied by the next sbx run with one summary
// line, checked inside the machine without sbx; an untrusted edit applies
// nothing; a run with nothing to apply is quiet; old Setup= lines never
// run again; a base change is named with sbx rebuild, in run and status.
func TestApplyOnUse(t *testing.T) {
	dir := "/home/alice/src/apply"
	const setupOne = "Setup=sh -c 'echo one >> /var/log/sbx-setup.log'\n"
	const setupTwo = "Setup=sh -c 'echo two >> /var/log/sbx-setup.log'\n"
	newProject(t, dir, "[Machine]\n[Exec]\n"+setupOne)
	t.Cleanup(func() { asAlice(t, fmt.Sprintf("cd %s && sbx rm --force >/dev/null 2>&1", sh(dir))) })
	start := time.Now()
	out := must(t, alice, fmt.Sprintf("cd %s && sbx run true 2>&1", sh(dir)))
	record("create by sbx run (the first machine: base bootstrapped)", time.Since(start))
	name := nameFromStatus(t, dir)
	t.Logf("created %s:\n%s", name, out)

	// The journal holds the helper's log (the create error points there).
	journal := must(t, "root", "journalctl -q -o cat -u sbx-create-"+name+".service")
	if !strings.Contains(journal, "Copying the base system") || !strings.Contains(journal, "Setup 1/1") {
		t.Errorf("journalctl -u sbx-create-%s lacks the helper's log:\n%s", name, journal)
	}

	must(t, alice, "mkdir -p /home/alice/data && echo hello > /home/alice/data/file")
	edited := "[Machine]\nPackages=bc\nHostname=apply-host\nStopWhenIdle=1h\n[Exec]\n" + setupOne + setupTwo + "[Files]\nBind=~/data\n"
	writeSandbox(t, dir, edited)

	// Untrusted: nothing at all is applied.
	if _, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx run true", sh(dir))); code == 0 || !strings.Contains(stderr, "changed since you allowed it") {
		t.Fatalf("sbx run with an edited, untrusted .sandbox: exit %d, stderr:\n%s", code, stderr)
	}
	if got := inMachine(t, name, "command -v bc || echo none; cat /var/log/sbx-setup.log"); got != "none\none\n" {
		t.Fatalf("an untrusted edit was applied: %q", got)
	}

	// The machine's root plants a link where the host's package cache is
	// mounted for the install: it resolves inside the machine, never on
	// the host.
	inMachine(t, name, "mkdir -p /var/tmp/sbx-planted && ln -sfn /var/tmp/sbx-planted /run/sbx-apt-cache")
	must(t, alice, fmt.Sprintf("cd %s && sbx allow >/dev/null", sh(dir)))
	start = time.Now()
	stdout, stderr, code := asAlice(t, fmt.Sprintf("cd %s && echo 6*7 | sbx run bc -q", sh(dir)))
	record("apply of Packages= +bc, a Setup= line, Bind=, Hostname=, StopWhenIdle=", time.Since(start))
	if code != 0 || stdout != "42\n" {
		t.Fatalf("sbx run bc after the edit: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	want := "sbx: applying .sandbox to " + name + ": Packages= +bc; Setup= 1 new line; Bind= +/home/alice/data; Hostname= apply-host; StopWhenIdle= 1h0m0s"
	if !strings.Contains(stderr, want) {
		t.Errorf("summary line missing; want %q in:\n%s", want, stderr)
	}
	// The machine ran: bc came through the host's package cache, which
	// is not left mounted in it.
	if out := must(t, "root", "ls /var/cache/sbx/apt/*/ | grep '^bc_' || true"); out == "" {
		t.Errorf("bc's package is not in the host's cache after an apply to the running machine")
	}
	if out := must(t, "root", "ls -d /var/tmp/sbx-planted 2>&1; findmnt -n /var/tmp/sbx-planted || true"); !strings.Contains(out, "No such file") {
		t.Errorf("the link the machine planted was followed on the host: %q", out)
	}
	if out := inMachine(t, name, "findmnt -n /run/sbx-apt-cache || findmnt -n /var/tmp/sbx-planted || echo unmounted; ls /var/cache/apt/archives/ | grep '^bc_' || true"); out != "unmounted\n" {
		t.Errorf("the host's package cache is still mounted in the machine, or bc came through the machine's own cache: %q", out)
	}
	got := inMachine(t, name, "cat /var/log/sbx-setup.log; hostname; cat /etc/hostname; cat /home/alice/data/file; grep stop_when_idle /etc/sbx/agent.conf")
	if got != "one\ntwo\napply-host\napply-host\nhello\nstop_when_idle=3600\n" {
		t.Errorf("inside the machine after apply:\n%s", got)
	}

	// Nothing left: quiet.
	if _, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx run true", sh(dir))); code != 0 || stderr != "" {
		t.Errorf("second sbx run: exit %d, stderr %q (want quiet)", code, stderr)
	}
	if st := must(t, alice, fmt.Sprintf("cd %s && sbx status", sh(dir))); !strings.Contains(st, "in line with .sandbox") {
		t.Errorf("sbx status after apply:\n%s", st)
	}

	// Removing a package, a Setup= line and the bind; Shell= changes the login shell.
	// Another session runs in the machine (started while it is in line):
	// Private= then waits for the next start, and says so. (The test host
	// cannot boot a machine with a veth, so no restart is tried here.)
	must(t, alice, fmt.Sprintf("cd %s && (sbx run sleep 123 >/dev/null 2>&1 &)", sh(dir)))
	waitUntil(t, "root", "pgrep -f 'slee[p] 123' >/dev/null", time.Minute)
	writeSandbox(t, dir, "[Machine]\nHostname=apply-host\nStopWhenIdle=1h\n[Exec]\n"+setupTwo+"Shell=/bin/sh\n[Network]\nPrivate=yes\n")
	must(t, alice, fmt.Sprintf("cd %s && sbx allow >/dev/null", sh(dir)))
	_, stderr = mustBoth(t, fmt.Sprintf("cd %s && sbx run true", sh(dir)))
	must(t, "root", "pkill -f 'slee[p] 123' || true")
	want = "Packages= -bc; Setup= 1 line removed (not undone); Bind= -/home/alice/data; Private= yes; Shell= /bin/sh"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, "Private=yes takes effect at the next start of "+name+": sbx restart") {
		t.Errorf("want %q and Private= at the next start in:\n%s", want, stderr)
	}
	if out := must(t, "root", "grep -x Private=yes /etc/systemd/nspawn/"+name+".nspawn || true"); out == "" {
		t.Errorf("the .nspawn of %s lacks Private=yes", name)
	}
	got = inMachine(t, name, "dpkg-query -W -f='${Status}\\n' bc 2>/dev/null | grep -c '^install ok' || true; cat /var/log/sbx-setup.log; getent passwd alice | cut -d: -f7; mountpoint -q /home/alice/data && echo mounted || echo unmounted")
	if got != "0\none\ntwo\n/bin/sh\nunmounted\n" {
		t.Errorf("inside the machine after removals:\n%s", got)
	}

	// A package that does not exist: the run fails and says so; the
	// machine stays usable, and fixing the file brings it back in line.
	writeSandbox(t, dir, "[Machine]\nPackages=no-such-package-sbx\nHostname=apply-host\nStopWhenIdle=1h\n[Exec]\n"+setupTwo+"Shell=/bin/sh\n")
	must(t, alice, fmt.Sprintf("cd %s && sbx allow >/dev/null", sh(dir)))
	if _, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx run true", sh(dir))); code == 0 || !strings.Contains(stderr, "no-such-package-sbx") {
		t.Errorf("a bad package: exit %d, stderr:\n%s", code, stderr)
	}
	if st := must(t, alice, fmt.Sprintf("cd %s && sbx status", sh(dir))); !strings.Contains(st, "pending: Packages= +no-such-package-sbx") {
		t.Errorf("sbx status with a pending package:\n%s", st)
	}

	// A base change: the command runs in the machine as it is, with one
	// line naming the change and sbx rebuild; status says the same.
	writeSandbox(t, dir, "[Machine]\nRelease=bookworm\nHostname=apply-host\nStopWhenIdle=1h\n[Exec]\n"+setupTwo+"Shell=/bin/sh\n")
	must(t, alice, fmt.Sprintf("cd %s && sbx allow >/dev/null", sh(dir)))
	stdout, stderr = mustBoth(t, fmt.Sprintf("cd %s && sbx run cat /etc/os-release", sh(dir)))
	if !strings.Contains(stdout, "trixie") || !strings.Contains(stderr, "Release= trixie → bookworm") || !strings.Contains(stderr, "sbx rebuild") {
		t.Errorf("base change: stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	if st := must(t, alice, fmt.Sprintf("cd %s && sbx status", sh(dir))); !strings.Contains(st, "base changed: Release= trixie → bookworm (needs sbx rebuild)") {
		t.Errorf("sbx status with a base change:\n%s", st)
	}

	// Another project naming the same machine: refused, naming both.
	other := "/home/alice/src/apply-twin"
	newProject(t, other, "[Machine]\nName="+name+"\n")
	if _, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx run true", sh(other))); code == 0 ||
		!strings.Contains(stderr, dir) || !strings.Contains(stderr, other) || !strings.Contains(stderr, "Name=") {
		t.Errorf("Name= collision: exit %d, stderr:\n%s", code, stderr)
	}
	// An untrusted .sandbox naming it cannot stop it.
	hostile := "/home/alice/src/apply-hostile"
	must(t, alice, fmt.Sprintf("mkdir -p %[1]s && printf '[Machine]\\nName=%[2]s\\n' > %[1]s/.sandbox", sh(hostile), name))
	// Every command that takes the machine from the current directory.
	snapsBefore := must(t, alice, "sbx snapshots "+name)
	for _, cmd := range []string{"stop", "poweroff", "reboot", "terminate", "kill", "enable", "disable",
		"rm --force", "login", "snapshot", "export /tmp/apply-hostile.tar", "start", "status"} {
		if _, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx %s </dev/null", sh(hostile), cmd)); code == 0 || !strings.Contains(stderr, "not trusted") {
			t.Errorf("sbx %s in an untrusted project: exit %d, stderr:\n%s", cmd, code, stderr)
		}
	}
	must(t, alice, "test ! -e /tmp/apply-hostile.tar")
	if after := must(t, alice, "sbx snapshots "+name); after != snapsBefore {
		t.Errorf("an untrusted .sandbox changed %s's snapshots:\n%s\nnow:\n%s", name, snapsBefore, after)
	}
	if st := machineState(t, name); st != "running" {
		t.Errorf("an untrusted .sandbox stopped %s (now %s)", name, st)
	}

	// The pending Release= change is what sbx rebuild is for.
	rebuildScenario(t, dir, name, "[Machine]\nRelease=bookworm\nHostname=apply-host\nStopWhenIdle=1h\n[Exec]\n"+setupTwo+"Shell=/bin/sh\n")
}

// mustBoth runs script as alice, fails unless it exits 0, and returns
// stdout and stderr.
func mustBoth(t *testing.T, script string) (string, string) {
	t.Helper()
	stdout, stderr, code := asAlice(t, script)
	if code != 0 {
		t.Fatalf("exit %d\nscript:\n%s\n--- stdout:\n%s\n--- stderr:\n%s", code, script, stdout, stderr)
	}
	return stdout, stderr
}

// nameFromStatus is the machine name sbx status reports for dir.
func nameFromStatus(t *testing.T, dir string) string {
	t.Helper()
	out := must(t, alice, fmt.Sprintf("cd %s && sbx status", sh(dir)))
	m := nameRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sbx status names no machine:\n%s", out)
	}
	return m[1]
}
