//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// machineState is what sbx list says of name: running or stopped.
func machineState(t *testing.T, name string) string {
	t.Helper()
	out := must(t, alice, "sbx list")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s+(\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sbx list does not show %s:\n%s", name, out)
	}
	return m[1]
}

// leader is the machine's init as machined sees it (root asks machinectl,
// which is independent of sbx).
func leader(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(must(t, "root", "machinectl show -p Leader --value "+name))
}

// TestEnableDisable: enable puts the machine in machines.target the way
// machinectl enable does; disable takes it out. As alice, through polkit.
func TestEnableDisable(t *testing.T) {
	name := shared(t)
	unit := "systemd-nspawn@" + name + ".service"
	t.Cleanup(func() { asAlice(t, "sbx disable "+name) })

	must(t, alice, "sbx enable "+name)
	if out, _, _ := asAlice(t, "systemctl is-enabled "+unit); strings.TrimSpace(out) != "enabled" {
		t.Errorf("after sbx enable, systemctl is-enabled %s says %q", unit, out)
	}
	if out, _, _ := asAlice(t, "systemctl is-enabled machines.target"); strings.TrimSpace(out) != "enabled" {
		t.Errorf("after sbx enable, machines.target is %q", out)
	}
	if out := must(t, "root", "ls /etc/systemd/system/machines.target.wants/"); !strings.Contains(out, unit) {
		t.Errorf("machines.target.wants lacks %s:\n%s", unit, out)
	}

	must(t, alice, "sbx disable "+name)
	if out, _, code := asAlice(t, "systemctl is-enabled "+unit); code == 0 || strings.TrimSpace(out) == "enabled" {
		t.Errorf("after sbx disable, systemctl is-enabled %s: exit %d, %q", unit, code, out)
	}
	// The project's machine by default, here by being in the project.
	must(t, alice, fmt.Sprintf("cd %s && sbx enable", sh(sharedDir)))
	if out, _, _ := asAlice(t, "systemctl is-enabled "+unit); strings.TrimSpace(out) != "enabled" {
		t.Errorf("sbx enable in the project: %q", out)
	}
	must(t, alice, fmt.Sprintf("cd %s && sbx disable", sh(sharedDir)))
}

// TestPowerVerbs: poweroff, reboot, terminate and kill as alice; the state
// follows, and commands work again afterwards.
func TestPowerVerbs(t *testing.T) {
	name := shared(t)
	must(t, alice, "sbx start "+name)

	start := time.Now()
	must(t, alice, "sbx poweroff "+name)
	record("poweroff", time.Since(start))
	if st := machineState(t, name); st != "stopped" {
		t.Errorf("after poweroff: %s", st)
	}
	if out := must(t, "root", "machinectl list --no-legend"); strings.Contains(out, name) {
		t.Errorf("after poweroff machinectl still lists %s", name)
	}
	// Nothing to do on a stopped machine; kill needs a running one.
	if _, errOut, code := asAlice(t, "sbx poweroff "+name); code != 0 || !strings.Contains(errOut, "not running") {
		t.Errorf("poweroff of a stopped machine: exit %d, %s", code, errOut)
	}
	if _, errOut, code := asAlice(t, "sbx kill "+name); code == 0 || !strings.Contains(errOut, "not running") {
		t.Errorf("kill of a stopped machine: exit %d, %s", code, errOut)
	}

	must(t, alice, "sbx start "+name)
	before := leader(t, name)
	must(t, alice, fmt.Sprintf("cd %s && sbx run sh -c 'echo booted > /tmp/boot-marker'", sh(sharedDir)))
	start = time.Now()
	must(t, alice, "sbx reboot "+name)
	record("reboot until ready", time.Since(start))
	if after := leader(t, name); after == before {
		t.Errorf("after reboot the leader is still %s", after)
	}
	// Rebooted for real: the guest's /tmp is new, and commands run at once.
	if out, errOut, code := inShared(t, "sbx run sh -c 'test -e /tmp/boot-marker && echo old-tmp || echo fresh'"); code != 0 || out != "fresh\n" {
		t.Errorf("after reboot: exit %d, %q %s", code, out, errOut)
	}

	must(t, alice, "sbx terminate "+name)
	if st := machineState(t, name); st != "stopped" {
		t.Errorf("after terminate: %s", st)
	}

	must(t, alice, "sbx start "+name)
	// kill with a signal name machinectl also takes: RTMIN+4 to the
	// leader is a poweroff.
	must(t, alice, "sbx kill --whom leader --signal SIGRTMIN+4 "+name)
	waitUntil(t, alice, "sbx list | grep -E '^"+name+" +stopped'", 2*time.Minute)
	if _, errOut, code := asAlice(t, "sbx kill --signal NOPE "+name); code != 2 || !strings.Contains(errOut, "unknown signal") {
		t.Errorf("bad signal: exit %d, %s", code, errOut)
	}
	// And back, for the tests after this one.
	must(t, alice, "sbx start "+name)
}

// TestLogin: the console through a real terminal: the notice, a login
// prompt from the machine's getty, keys reaching it, and ^]^]^] leaving.
func TestLogin(t *testing.T) {
	name := shared(t)
	tm := term(t, 100, 30)
	line(t, tm, "sbx login "+name+`; echo "login-rc=$?"`)
	expect(t, tm, `Connected to `+name+`\. Press \^\] three times within 1s to exit\.`)
	expect(t, tm, name+` login:`)
	line(t, tm, "alice")
	expect(t, tm, `Password:`)
	if err := tm.SendKeys("C-]", "C-]", "C-]"); err != nil {
		t.Fatal(err)
	}
	expect(t, tm, `Connection to `+name+` closed\.\s+login-rc=0`)
	// The host shell has its terminal back in cooked mode.
	line(t, tm, `clear; echo "back $((6*7))"`)
	expect(t, tm, `back 42`)
}

// TestStopWhenIdle: a machine with StopWhenIdle=5s powers itself off
// after a command, and stays up while a shell is open.
func TestStopWhenIdle(t *testing.T) {
	shared(t) // the base is cached by now
	dir := "/home/alice/src/idle"
	newProject(t, dir, "[Machine]\nPackages=python3-minimal\nStopWhenIdle=5s\n")
	name, _ := createProject(t, dir)
	t.Cleanup(func() { asAlice(t, "sbx rm --force "+name) })
	if conf := must(t, "root", "cat /var/lib/machines/"+name+"/etc/sbx/agent.conf"); !strings.Contains(conf, "stop_when_idle=5\n") {
		t.Fatalf("agent.conf:\n%s", conf)
	}

	must(t, alice, fmt.Sprintf("cd %s && sbx run true", dir))
	ran := time.Now()
	waitUntil(t, alice, "sbx list | grep -E '^"+name+" +stopped'", 2*time.Minute)
	if took := time.Since(ran); took < 5*time.Second {
		t.Errorf("stopped %s after the command; StopWhenIdle is 5s", took)
	}
	record("StopWhenIdle=5s: command end until stopped", time.Since(ran))

	// An open shell keeps it up, well past the idle time.
	tm, err := host.NewTmux(alice, 100, 30, "bash", "--noprofile", "--norc", "-i")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	line(t, tm, "PS1='$ '; cd "+dir+" && sbx shell")
	line(t, tm, `echo "inside=$SBX_MACHINE"`)
	expect(t, tm, `inside=`+name)
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(time.Second) {
		if st := machineState(t, name); st != "running" {
			t.Fatalf("with a shell open the machine is %s", st)
		}
	}
	line(t, tm, "exit")
	left := time.Now()
	waitUntil(t, alice, "sbx list | grep -E '^"+name+" +stopped'", 2*time.Minute)
	if took := time.Since(left); took < 4*time.Second {
		t.Errorf("stopped %s after the shell ended; StopWhenIdle is 5s", took)
	}
}

// TestGC: a machine whose project directory was deleted is listed and
// removed; others stay.
func TestGC(t *testing.T) {
	shared(t)
	dir := "/home/alice/src/doomed"
	newProject(t, dir, "[Machine]\nPackages=python3-minimal\n")
	name, _ := createProject(t, dir)
	must(t, alice, fmt.Sprintf("cd %s && sbx start && sbx enable && sbx shim --dir ~/gc-shims python3", dir))
	must(t, alice, "rm -rf "+dir)

	out := must(t, alice, "sbx gc --dry-run")
	if !regexpMatch(`(?m)^`+name+`\s+`+dir+`$`, out) || strings.Contains(out, shared(t)) {
		t.Errorf("sbx gc --dry-run:\n%s", out)
	}
	if _, errOut, code := asAlice(t, "sbx gc </dev/null"); code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("sbx gc without a terminal or --force: exit %d, %s", code, errOut)
	}
	if got := must(t, alice, "sbx list --quiet"); !strings.Contains(got, name) {
		t.Fatalf("refused gc removed %s anyway", name)
	}
	must(t, alice, "sbx gc --force")
	if got := must(t, alice, "sbx list --quiet"); strings.Contains(got, name) || !strings.Contains(got, shared(t)) {
		t.Errorf("after gc, sbx list:\n%s", got)
	}
	leftovers := must(t, "root", "ls -a /var/lib/machines /var/lib/sbx/machines /etc/systemd/nspawn /etc/systemd/system/machines.target.wants 2>&1; machinectl list --no-legend")
	if strings.Contains(leftovers, name) {
		t.Errorf("after gc, %s is still somewhere:\n%s", name, leftovers)
	}
	// Its shims go with it, as with sbx rm.
	if out := must(t, alice, "ls -A ~/gc-shims; sbx shim --list"); strings.Contains(out, "python3") {
		t.Errorf("after gc, the machine's shim is still there:\n%s", out)
	}
	if _, errOut, code := asAlice(t, "sbx gc --force"); code != 0 || !strings.Contains(errOut, "no machines") {
		t.Errorf("second gc: exit %d, %s", code, errOut)
	}
}

// TestDoctor: the test host passes for alice; bob, not in group sbx, is
// told what to do.
func TestDoctor(t *testing.T) {
	out, errOut, code := asAlice(t, "sbx doctor")
	if code != 0 || !strings.Contains(out, "ready for sbx") || strings.Contains(out, "✗") {
		t.Errorf("sbx doctor as alice: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"✓ systemd is PID 1", "✓ member of group sbx: alice", "✓ group sbx active in this session",
		"✓ polkit lets you manage machines", "✓ polkit rule for group sbx"} {
		if !strings.Contains(out, want) {
			t.Errorf("sbx doctor as alice lacks %q:\n%s", want, out)
		}
	}
	// Root can read the rule file itself.
	if out := must(t, "root", "sbx doctor"); !strings.Contains(out, "✓ polkit rule for group sbx: /etc/polkit-1/rules.d/50-sbx.rules") {
		t.Errorf("sbx doctor as root:\n%s", out)
	}
	out, errOut, code = as(t, bob, "sbx doctor")
	if code != 1 || !strings.Contains(out, "✗ member of group sbx: bob is not in group sbx") ||
		!strings.Contains(out, "usermod -aG sbx bob") || !strings.Contains(out, "✗ polkit lets you manage machines") {
		t.Errorf("sbx doctor as bob: exit %d\n%s%s", code, out, errOut)
	}
}
