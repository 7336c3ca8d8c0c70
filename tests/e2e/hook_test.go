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

// hookShell is how one shell is started without rc files, given a prompt
// and the hook, and how its dialect says a few things.
type hookShell struct {
	name  string
	path  string // also $SHELL, so the machine's user gets this shell
	argv  []string
	setup string // prompt "$ " and the hook, typed as the first line
	// source sources the hook again; status echoes "rc=" and the last status.
	source, status string
	setenv, unset  func(k string) string
}

var hookShells = []hookShell{
	{name: "bash", path: "/bin/bash", argv: []string{"bash", "--noprofile", "--norc", "-i"},
		setup: `PS1='$ '; eval "$(sbx hook bash)"`, source: `eval "$(sbx hook bash)"`, status: `echo "rc=$?"`,
		setenv: func(kv string) string { return "export " + kv }, unset: func(k string) string { return "unset " + k }},
	{name: "zsh", path: "/usr/bin/zsh", argv: []string{"zsh", "-f", "-i"},
		setup: `PS1='$ '; eval "$(sbx hook zsh)"`, source: `eval "$(sbx hook zsh)"`, status: `echo "rc=$?"`,
		setenv: func(kv string) string { return "export " + kv }, unset: func(k string) string { return "unset " + k }},
	{name: "fish", path: "/usr/bin/fish", argv: []string{"fish", "--no-config", "-i"},
		setup:  `function fish_prompt; echo -n '$ '; end; sbx hook fish | source`,
		source: `sbx hook fish | source`, status: `echo "rc=$status"`,
		setenv: func(kv string) string { k, v, _ := strings.Cut(kv, "="); return "set -gx " + k + " " + v },
		unset:  func(k string) string { return "set -e " + k }},
}

// hostile is a directory name that runs commands wherever a shell or sbx
// evaluates it instead of using it as a string.
const hostile = "h $(touch /tmp/pwned) `touch /tmp/pwned` '\" ; touch /tmp/pwned;"

// hookSandbox is the .sandbox of the hook projects: zsh and fish in the
// machine so the login shell inside is the same shell as outside; one
// comment line to edit a byte of.
func hookSandbox(name, packages string) string {
	return fmt.Sprintf("# rev a\n[Machine]\nName=%s\nPackages=%s\n", name, packages)
}

// TestHook runs one scenario in bash, zsh and fish, each started with no
// rc files in tmux as alice, against real machines: the untrusted notice,
// entry after sbx allow, cd out and back, exit, an edited .sandbox,
// hostile names, $?, re-sourcing, auto-entry off and Ctrl-C during a lazy
// create.
func TestHook(t *testing.T) {
	for _, s := range hookShells {
		t.Run(s.name, func(t *testing.T) { hookScenario(t, s) })
	}
}

// hookTerm is one shell under test in tmux, with a counter that makes
// each probe's answer unique on the screen.
type hookTerm struct {
	t  *testing.T
	tm *testhost.Tmux
	sh hookShell
	n  int
}

func (h *hookTerm) line(s string) { h.t.Helper(); line(h.t, h.tm, s) }

// expect waits for pattern on the screen; creating a machine may take a
// few minutes on a loaded host.
func (h *hookTerm) expect(pattern string, timeout time.Duration) string {
	h.t.Helper()
	screen, err := h.tm.WaitFor(pattern, timeout)
	if err != nil {
		hist, _ := h.tm.CaptureHistory()
		h.t.Fatalf("%s: waiting for %q: %v\nhistory:\n%s", h.sh.name, pattern, err, lastLines(hist, 60))
	}
	return screen
}

// place is where a probe found the shell: which host, which directory,
// and $SBX_MACHINE ("none" outside a machine).
type place struct{ host, dir, machine string }

// where asks the shell at the prompt where it is: hostname, working
// directory and SBX_MACHINE, printed by sh so all three shells say it
// the same way.
//
// Keys typed while the terminal passes from the machine's shell back to
// the host's can be lost (fish drops such typeahead), so an unanswered
// probe is typed again, less and less often. The shell answers where it
// is when it reads the line, so a repeated probe gives the same answer.
func (h *hookTerm) where(timeout time.Duration) place {
	h.t.Helper()
	h.n++
	probe := fmt.Sprintf(`sh -c 'echo "W$0=$(hostname)|$(pwd)|${SBX_MACHINE:-none}|"' %d`, h.n)
	re := regexp.MustCompile(fmt.Sprintf(`W%d=([^|\n]*)\|([^|\n]*)\|([^|\n]*)\|`, h.n))
	deadline := time.Now().Add(timeout)
	for wait := 10 * time.Second; ; wait = min(2*wait, time.Minute) {
		h.line(probe)
		screen, err := h.tm.WaitFor(re.String(), min(wait, time.Until(deadline)))
		if err == nil {
			m := re.FindStringSubmatch(screen)
			return place{m[1], m[2], m[3]}
		}
		if time.Now().After(deadline) {
			hist, _ := h.tm.CaptureHistory()
			h.t.Fatalf("%s: no answer to probe %d within %s: %v\nhistory:\n%s", h.sh.name, h.n, timeout, err, lastLines(hist, 60))
		}
	}
}

// mustBe fails unless the shell is at want.
func (h *hookTerm) mustBe(what string, want place) {
	h.t.Helper()
	h.mustBeWithin(what, want, 2*time.Minute)
}

// mustBeWithin is mustBe with room for a lazy create: a cold one
// (mmdebstrap from the mirror) takes minutes on a loaded host.
func (h *hookTerm) mustBeWithin(what string, want place, timeout time.Duration) {
	h.t.Helper()
	if got := h.where(timeout); got != want {
		hist, _ := h.tm.CaptureHistory()
		h.t.Fatalf("%s: %s: shell is at %+v, want %+v\nhistory:\n%s", h.sh.name, what, got, want, lastLines(hist, 40))
	}
}

// count is how often s has appeared so far (scrollback included).
func (h *hookTerm) count(s string) int {
	h.t.Helper()
	hist, err := h.tm.CaptureHistory()
	if err != nil {
		h.t.Fatal(err)
	}
	return strings.Count(hist, s)
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func hookScenario(t *testing.T, s hookShell) {
	base := "/home/alice/src/hook-" + s.name
	proj := base + "/proj"
	name := "hook-" + s.name
	must(t, alice, fmt.Sprintf(`set -e
rm -rf %[1]s /home/alice/.config/sbx/config
mkdir -p %[2]s/sub %[2]s/%[3]s %[1]s/%[3]s/proj
printf '%%s' %[4]s > %[2]s/.sandbox
printf '%%s' %[5]s > %[1]s/%[3]s/proj/.sandbox`,
		sh(base), sh(proj), sh(hostile), sh(hookSandbox(name, "zsh fish")), sh(hookSandbox(name+"-x", "zsh fish"))))
	must(t, "root", "rm -rf /tmp/pwned "+sh("/tmp/"+hostile))
	t.Cleanup(func() { asAlice(t, "rm -f ~/.config/sbx/config") })
	listBefore := must(t, alice, "sbx list")

	tm, err := host.NewTmux(alice, 200, 50, append([]string{"env", "SHELL=" + s.path}, s.argv...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tm.Close() })
	h := &hookTerm{t: t, tm: tm, sh: s}
	h.line(s.setup)
	onHost := func(dir string) place { return place{"sbx-testhost", dir, "none"} }
	inMachine := func(dir string) place { return place{name, dir, name} }
	h.mustBe("at start", onHost("/home/alice"))

	// Untrusted: one line, nothing created or started, no process.
	h.line("cd " + sh(proj))
	h.expect(regexp.QuoteMeta(proj+"/.sandbox is not trusted; review it, then run: sbx allow"), time.Minute)
	h.mustBe("untrusted project", onHost(proj))
	h.line("")
	h.line("cd sub")
	h.line("cd ..")
	h.mustBe("untrusted project, later prompts", onHost(proj))
	if n := h.count("is not trusted"); n != 1 {
		t.Errorf("%s: the untrusted notice appeared %d times, want once", s.name, n)
	}
	if after := must(t, alice, "sbx list"); after != listBefore {
		t.Errorf("%s: sbx list changed for an untrusted project:\nbefore:\n%s\nafter:\n%s", s.name, listBefore, after)
	}
	if out := must(t, "root", fmt.Sprintf("journalctl -q --no-pager -u sbx-create-%s.service; ls -a /var/lib/machines | grep -e %s || true", name, sh(name))); strings.TrimSpace(out) != "" {
		t.Errorf("%s: an untrusted project got a machine or a create unit:\n%s", s.name, out)
	}

	// sbx allow: its last line says the next prompt enters, and it does,
	// creating the machine lazily with progress (a copy of the cached base
	// after the first shell).
	h.line("sbx allow")
	h.expect(`enters the machine at its next prompt`, time.Minute)
	h.expect(`(Bootstrapping|Copying)`, 3*time.Minute)
	h.mustBeWithin("after sbx allow", inMachine(proj), 12*time.Minute)

	// Inside: cd out → host shell at the new directory; back in → entered.
	h.line("cd ..")
	h.mustBe("cd out of the project inside the machine", onHost(base))
	h.line("cd proj/sub")
	h.mustBe("cd back into the project", inMachine(proj+"/sub"))
	h.line("cd ..")
	h.mustBe("cd within the project inside", inMachine(proj))

	// A cd to a place the machine does not have (only the project is bound
	// there): the host shell goes there, by a relative or absolute path,
	// cd - or pushd (fish: prevd) with no history inside, a CDPATH name;
	// where the host lacks it too, back into the machine.
	sibling := base + "/sibling"
	must(t, alice, "mkdir -p "+sh(sibling))
	h.line("cd ../sibling")
	h.mustBe("cd ../sibling inside the machine", onHost(sibling))
	h.line("cd ../proj")
	h.mustBe("back in from the sibling", inMachine(proj))
	h.line("cd " + sh(sibling))
	h.mustBe("cd /abs/sibling inside the machine", onHost(sibling))
	h.line("cd ../proj")
	h.mustBe("back in for cd -", inMachine(proj))
	h.line("cd -")
	h.mustBe("cd - inside the machine (no history there)", onHost(sibling))
	h.line("cd ../proj")
	h.mustBe("back in for pushd", inMachine(proj))
	h.line("pushd ../sibling")
	h.mustBe("pushd ../sibling inside the machine", onHost(sibling))
	if s.name == "fish" {
		h.line("cd ../proj")
		h.mustBe("back in for prevd", inMachine(proj))
		h.line("prevd")
		h.mustBe("prevd inside the machine (no history there)", onHost(sibling))
	}
	h.line(s.setenv("CDPATH=" + base))
	h.line("cd ../proj")
	h.mustBe("back in for CDPATH", inMachine(proj))
	h.line("cd sibling")
	h.mustBe("cd NAME found through CDPATH on the host", onHost(sibling))
	h.line(s.unset("CDPATH"))
	h.line("cd ../proj/sub")
	h.mustBe("back in for a place nowhere", inMachine(proj+"/sub"))
	h.line("cd ../../nowhere")
	h.expect(`nowhere`, time.Minute)
	h.mustBeWithin("cd to a place neither has: back in the machine", inMachine(proj+"/sub"), 2*time.Minute)
	h.line("cd ..")
	h.mustBe("in the machine again after the detour", inMachine(proj))

	// exit → host shell in the project; no re-entry on prompts or a cd
	// within; leave and come back → entered again.
	h.line("exit")
	h.mustBe("after exit", onHost(proj))
	h.line("")
	h.line("cd sub")
	h.mustBe("prompts and cd after exit", onHost(proj+"/sub"))
	h.line("cd ../..")
	h.line("cd proj")
	h.mustBe("leave and come back after exit", inMachine(proj))
	h.line("exit")
	h.mustBe("second exit", onHost(proj))

	// $? survives the hook's prompt: a plain one, one after a cd out of a
	// project, one after a cd into a project (the hook calls sbx there).
	h.line(`sh -c 'exit 7'`)
	h.line(s.status)
	h.expect(`rc=7`, time.Minute)
	h.line(`cd /tmp; sh -c 'exit 8'`)
	h.line(s.status)
	h.expect(`rc=8`, time.Minute)
	h.line(fmt.Sprintf(`cd %s; sh -c 'exit 9'`, sh(base+"/"+hostile+"/proj")))
	h.line(s.status)
	h.expect(`rc=9`, time.Minute)

	// Hostile names: outside any project, as an untrusted project, inside
	// the project (entered, then handed back to the host from inside).
	h.line("cd " + sh(base+"/"+hostile))
	h.mustBe("hostile directory outside projects", onHost(base+"/"+hostile))
	h.line("cd proj")
	h.expect(regexp.QuoteMeta(base+"/"+hostile+"/proj/.sandbox is not trusted"), time.Minute)
	h.mustBe("hostile untrusted project", onHost(base+"/"+hostile+"/proj"))
	h.line("cd " + sh(proj+"/"+hostile))
	h.mustBe("hostile directory inside the project", inMachine(proj+"/"+hostile))
	// Outside the project only the host's directories and the machine's
	// own exist: one by that name in both /tmp.
	outside := "/tmp/" + hostile
	must(t, alice, fmt.Sprintf("mkdir -p %s && cd %s && sbx run mkdir -p %s", sh(outside), sh(proj), sh(outside)))
	h.line("cd " + sh(outside))
	h.mustBe("handed back to a hostile directory", onHost(outside))
	h.line("cd " + sh(proj+"/"+hostile))
	h.mustBe("entered at a hostile directory again", inMachine(proj+"/"+hostile))
	h.line("exit")
	h.mustBe("exit from a hostile directory", onHost(proj+"/"+hostile))
	if _, _, code := asRoot(t, "test ! -e /tmp/pwned"); code != 0 {
		t.Errorf("%s: a hostile directory name ran a command on the host (/tmp/pwned exists)", s.name)
	}
	if _, _, code := asAlice(t, fmt.Sprintf("cd %s && sbx run test ! -e /tmp/pwned", sh(proj))); code != 0 {
		t.Errorf("%s: a hostile directory name ran a command in the machine (/tmp/pwned exists there)", s.name)
	}

	// Re-sourcing the hook ten times: still one entry (one exit is enough
	// to be back on the host).
	h.line("cd " + sh(base))
	for i := 0; i < 10; i++ {
		h.line(s.source)
	}
	h.line("cd proj")
	h.mustBe("entry after re-sourcing", inMachine(proj))
	h.line("exit")
	h.mustBe("one exit after re-sourcing", onHost(proj))

	// One byte of .sandbox edited: the untrusted notice again, no entry;
	// allow → entered at the next prompt.
	h.line("cd ..")
	must(t, alice, fmt.Sprintf("sed -i 's/^# rev a$/# rev b/' %s/.sandbox", sh(proj)))
	h.line("cd proj")
	h.expect(regexp.QuoteMeta(proj+"/.sandbox changed since you allowed it; review it, then run: sbx allow"), time.Minute)
	h.mustBe("edited .sandbox", onHost(proj))
	h.line("sbx allow")
	h.mustBe("allowed again", inMachine(proj))
	h.line("exit")
	h.mustBe("exit after allowing again", onHost(proj))

	// Auto-entry off: by the environment (the hook's hint), then by the
	// user's config file (sbx shell --auto's hint): one line, the same
	// text, no entry.
	h.line("cd ..")
	h.line(s.setenv("SBX_AUTO_ENTER=0"))
	h.line("cd proj")
	hint := "sbx: auto-entry is off; to enter " + proj + " run: sbx shell"
	h.expect(regexp.QuoteMeta(hint), time.Minute)
	h.mustBe("SBX_AUTO_ENTER=0", onHost(proj))
	h.line("cd ..")
	h.line(s.unset("SBX_AUTO_ENTER"))
	must(t, alice, "mkdir -p ~/.config/sbx && echo auto_enter=no > ~/.config/sbx/config")
	h.line("cd proj")
	h.mustBe("auto_enter=no", onHost(proj))
	if n := h.count(hint); n != 2 {
		t.Errorf("%s: want the same one-line hint once from the hook and once from sbx, got it %d times", s.name, n)
	}
	must(t, alice, "rm ~/.config/sbx/config")
	h.line("cd ..")
	h.line("cd proj")
	h.mustBe("auto-entry on again", inMachine(proj))
	h.line("exit")
	h.mustBe("exit after auto-entry on again", onHost(proj))

	// Ctrl-C during a lazy create (while its packages install: the base is
	// cached, the package set is new): back at the host prompt, no
	// machine, no build directory; the next prompts do not start it again.
	intProj, intName := base+"/int", name+"-int"
	newProject(t, intProj, hookSandbox(intName, "zsh fish hello"))
	h.line("cd " + sh(intProj))
	const installing = "Installing fish hello zsh" // sorted
	h.expect(installing, 3*time.Minute)
	if err := tm.SendKeys("C-c"); err != nil {
		t.Fatal(err)
	}
	h.mustBe("Ctrl-C during the lazy create", onHost(intProj))
	if hist, err := h.tm.CaptureHistory(); err == nil {
		t.Logf("%s: the screen after Ctrl-C:\n%s", s.name, lastLines(hist, 8))
	}
	waitUntil(t, "root", "! systemctl is-active -q 'sbx-create-*'", 90*time.Second)
	if out := leftovers(t, intName); out != "" {
		t.Errorf("%s: Ctrl-C during a lazy create left:\n%s", s.name, out)
	}
	if out := must(t, "root", "ls -a /var/lib/machines /var/lib/machines/.sbx-cache"); strings.Contains(out, ".sbx-build") || strings.Contains(out, ".tmp") {
		t.Errorf("%s: Ctrl-C during a lazy create left a build directory:\n%s", s.name, out)
	}
	started := h.count(installing)
	h.line("")
	h.line("cd .")
	h.mustBe("prompts after Ctrl-C", onHost(intProj))
	if n := h.count(installing); n != started {
		hist, _ := h.tm.CaptureHistory()
		t.Errorf("%s: the prompts after Ctrl-C started the create again:\n%s", s.name, lastLines(hist, 30))
	}
	h.line("exit")
	if _, err := tm.WaitExit(30 * time.Second); err != nil {
		t.Error(err)
	}
	must(t, alice, fmt.Sprintf("cd %s && sbx rm --force", sh(proj)))
}
