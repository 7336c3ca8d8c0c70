package shellhook

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

// step is typed into a shell as it is (fish gets its dialect); every line
// is followed by a prompt, so the hook runs between lines.
type step struct {
	name   string
	before func(sb *sandbox)
	lines  []string
	calls  int // stub calls the lines must cause
	check  func(t *testing.T, sb *sandbox, out string)
}

func pwdIs(rel string) func(t *testing.T, sb *sandbox, out string) {
	return func(t *testing.T, sb *sandbox, out string) {
		t.Helper()
		if got, want := sb.read("pwd"), sb.path(rel); got != want {
			t.Errorf("shell is in %q, want %q", got, want)
		}
	}
}

func outHas(s string) func(t *testing.T, sb *sandbox, out string) {
	return func(t *testing.T, sb *sandbox, out string) {
		t.Helper()
		if !strings.Contains(out, s) {
			t.Errorf("output has no %q:\n%s", s, out)
		}
	}
}

const savePWD = `printf '%s' "$PWD" > "$T/pwd"`

// hostScenario is the host-mode table every shell runs, in order.
func hostScenario() []step {
	steps := []step{
		{name: "sourcing calls nothing", lines: []string{`source "$HOOK"`}},
		{name: "prompts without cd call nothing", lines: []string{"true", "true", "echo hi"}},
		{name: "cd to a directory without .sandbox calls nothing", lines: []string{`cd -- "$PLAIN"`, `cd -- "$PLAIN/fake"`}},
		{name: "cd into a project calls shell --auto once, from there", lines: []string{`cd -- "$SUB"`, "true"}, calls: 1,
			check: func(t *testing.T, sb *sandbox, out string) {
				calls := sb.calls()
				re := regexp.MustCompile(`^shell --auto --cd-file ` + regexp.QuoteMeta(sb.path("tmp")) + `/sbx-cd\.\w+$`)
				if !re.MatchString(calls[len(calls)-1]) {
					t.Errorf("stub called with %q, want shell --auto --cd-file $TMPDIR/sbx-cd.*", calls[len(calls)-1])
				}
				if got := strings.TrimSpace(sb.read("stub/cwd")); got != sb.path("proj/sub/deeper") {
					t.Errorf("sbx ran in %q, want the new directory", got)
				}
				if strings.Contains(out, "cd-file not empty") {
					t.Errorf("the cd-file was not empty when sbx ran")
				}
			}},
		{name: "after an empty return, moving inside calls nothing", lines: []string{"cd ..", `cd -- "$PROJ"`, `cd -- "$SUB"`}},
		{name: "leaving and coming back calls again", lines: []string{`cd -- "$PLAIN"`, `cd -- "$SUB"`}, calls: 1},
		{name: "a directory handed back moves the shell there",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("other")) },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true"}, calls: 1, check: pwdIs("other")},
		{name: "a directory inside the project handed back (an exit there) moves the shell there, no re-entry",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj/sub/deeper")) },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true", `cd -- "$PLAIN"`}, calls: 1, check: pwdIs("proj/sub/deeper")},
		{name: "a directory handed back in another project enters that one at once",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj2/x")) },
			lines:  []string{`cd -- "$PROJ"`, savePWD, "true"}, calls: 2,
			check: func(t *testing.T, sb *sandbox, out string) {
				pwdIs("proj2/x")(t, sb, out)
				if got := strings.TrimSpace(sb.read("stub/cwd")); got != sb.path("proj2/x") {
					t.Errorf("second call ran in %q, want proj2/x", got)
				}
			}},
		// The machine's shell could not cd (only the project is bound): it
		// hands back its directory, the cd and its target (NUL-separated).
		{name: "a cd handed back is done here, from the machine's directory",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj/sub")+"\x00cd\x00../../other") },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true"}, calls: 1, check: pwdIs("other")},
		{name: "a pushd handed back is done here",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj")+"\x00pushd\x00"+sb.path("other")) },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true"}, calls: 1, check: pwdIs("other")},
		{name: "cd - handed back goes to this shell's previous directory",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj")+"\x00cd-\x00-") },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true"}, calls: 1, check: pwdIs("plain")},
		{name: "a cd handed back into another project enters that one",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj")+"\x00cd\x00../proj2/x") },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true"}, calls: 2, check: pwdIs("proj2/x")},
		{name: "a cd handed back to a place the host lacks too goes back into the machine",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj/sub")+"\x00cd\x00../../nowhere") },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, savePWD, "true"}, calls: 2,
			check: func(t *testing.T, sb *sandbox, out string) {
				pwdIs("proj/sub")(t, sb, out)
				if got := strings.TrimSpace(sb.read("stub/cwd")); got != sb.path("proj/sub") {
					t.Errorf("re-entered in %q, want proj/sub", got)
				}
			}},
		{name: "CDPATH goes into the machine and finds a NAME handed back here",
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path("proj")+"\x00cd\x00other") },
			lines:  []string{`cd -- "$PLAIN"`, "export CDPATH=$T", `cd -- "$PROJ"`, savePWD, "unset CDPATH"}, calls: 1,
			check: func(t *testing.T, sb *sandbox, out string) {
				pwdIs("other")(t, sb, out)
				calls := sb.calls()
				if !strings.HasSuffix(calls[len(calls)-1], " -e CDPATH="+sb.root) {
					t.Errorf("CDPATH not passed to the machine's shell: %q", calls[len(calls)-1])
				}
			}},
		{name: "an untrusted project waits for its marker without calling",
			before: waitOn,
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, "true", `cd -- "$SUB"`, "true"}, calls: 1},
		{name: "the prompt after the marker goes (sbx allow) calls again, once",
			lines: []string{`rm -f -- "$T/marker"`, "true", "true"}, calls: 1},
		{name: "leaving the project drops the wait",
			before: waitOn,
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "$PROJ"`, `cd -- "$PLAIN"`, `rm -f -- "$T/marker"`, "true"}, calls: 1},
		{name: "$? survives a plain prompt", lines: []string{"false", `echo "st=$?"`}, check: outHas("st=1")},
		{name: "$? survives a cd prompt", lines: []string{`cd -- "$PLAIN"; false`, `echo "st=$?"`}, check: outHas("st=1")},
		{name: "$? survives a call", lines: []string{`cd -- "$PROJ"; false`, `echo "st=$?"`}, calls: 1, check: outHas("st=1")},
		{name: "SBX_AUTO_ENTER=0 prints one hint and calls nothing",
			lines: []string{`cd -- "$PLAIN"`, "export SBX_AUTO_ENTER=0", `cd -- "$PROJ"`, `cd -- "$SUB"`, "unset SBX_AUTO_ENTER"},
			check: func(t *testing.T, sb *sandbox, out string) {
				if n := strings.Count(out, "auto-entry is off"); n != 1 {
					t.Errorf("hint shown %d times, want once:\n%s", n, out)
				}
			}},
		{name: "sourcing ten times installs one hook",
			lines: append(repeat(`source "$HOOK"`, 10), `cd -- "$PLAIN"`, `cd -- "$PROJ"`), calls: 1},
	}
	for i := range hostileNames {
		h := "$H" + string(rune('0'+i))
		rel := filepath.Join("h", hostileNames[i], "in")
		steps = append(steps, step{
			name:   "hostile name " + hostileNames[i],
			before: func(sb *sandbox) { sb.write("stub/next-cd", sb.path(rel)) },
			lines:  []string{`cd -- "$PLAIN"`, `cd -- "` + h + `"`, savePWD, "true"}, calls: 1, check: pwdIs(rel),
		})
	}
	steps = append(steps, step{name: "hostile name in the hint",
		lines: []string{`cd -- "$PLAIN"`, "export SBX_AUTO_ENTER=0", `cd -- "$H0"`, `cd -- "$PLAIN"`, `cd -- "$H4"`, "unset SBX_AUTO_ENTER"},
		check: outHas("auto-entry is off")})
	return steps
}

// waitOn makes the stub answer like sbx does for an untrusted project:
// wait for a marker file that sbx allow removes.
func waitOn(sb *sandbox) {
	sb.write("marker", "")
	sb.write("stub/next-cd", "wait:"+sb.path("marker"))
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestHookHostScenario(t *testing.T) {
	inEveryShell(t, func(t *testing.T, st shellUnderTest, sb *sandbox) {
		tm := ptytest.Start(t, st.name, st.argv, sb.root, sb.env)
		tm.Sync()
		for _, s := range hostScenario() {
			if s.before != nil {
				s.before(sb)
			}
			before := len(sb.calls())
			for _, l := range s.lines {
				tm.Send(st.dialect(l))
			}
			out := tm.Sync()
			if got := len(sb.calls()) - before; got != s.calls {
				t.Errorf("%s: sbx called %d times, want %d", s.name, got, s.calls)
			}
			if s.check != nil {
				s.check(t, sb, out)
			}
			if t.Failed() {
				t.Fatalf("stopped at step %q", s.name)
			}
		}
		ctrlC(t, tm, sb)
		if p := sb.pwned(); len(p) > 0 {
			t.Errorf("a hostile directory name ran a command: %q", p)
		}
		if l := sb.leftovers(); len(l) > 0 {
			t.Errorf("cd-files left behind in TMPDIR: %q", l)
		}
	})
}

// ctrlC interrupts the stub while it runs for an entry: the shell must come
// back to its prompt, remove the cd-file and not enter again inside.
func ctrlC(t *testing.T, tm *ptytest.Term, sb *sandbox) {
	t.Helper()
	tm.Run(`cd -- "$PLAIN"`)
	sb.write("stub/sleep", "")
	before := len(sb.calls())
	tm.Send(`cd -- "$PROJ"`)
	tm.Expect("STUB-SLEEPING")
	tm.Interrupt()
	tm.Run(`cd -- "$SUB"`)
	if got := len(sb.calls()) - before; got != 1 {
		t.Errorf("Ctrl-C: sbx called %d times, want 1 (no re-entry inside the project after Ctrl-C)", got)
	}
	if !tm.Alive() {
		t.Errorf("Ctrl-C ended the shell")
	}
}

// TestHookGuestScenario: inside a machine, leaving the project hands the
// directory back and ends the shell `sbx shell` started; a nested shell
// does neither; nothing enters a machine.
func TestHookGuestScenario(t *testing.T) {
	inEveryShell(t, func(t *testing.T, st shellUnderTest, sb *sandbox) {
		tm := startGuestShell(t, st, sb)
		tm.Run(`cd -- "$PROJ"`)
		tm.Run(`cd -- "$NEST"`)
		// Inside the project the return file follows the shell, so an
		// exit lands the host shell where this one was.
		nest := sb.path("proj/nested-plain")
		if got := sb.read("ret"); got != nest {
			t.Errorf("return file has %q inside the project, want %q", got, nest)
		}
		out := tm.Run(`env | grep -q SBX_RETURN_FILE || echo "no-return""-file"`)
		if !strings.Contains(out, "no-return-file") {
			t.Errorf("SBX_RETURN_FILE is still exported to commands:\n%s", out)
		}
		// A nested shell inherits no return file: leaving does nothing.
		tm.Send(strings.Join(st.argv, " "))
		tm.Run(st.dialect(`source "$HOOK"`))
		tm.Run(`cd -- "$PLAIN"`)
		tm.Run(`cd -- "$PROJ2"`)
		tm.Run(`cd -- "$H0"`)
		if !tm.Alive() || sb.read("ret") != nest {
			t.Fatalf("nested shell handed back %q (alive: %v)", sb.read("ret"), tm.Alive())
		}
		tm.Run("exit")
		tm.Run("true")
		// The outer shell hands back a hostile name as it is, and ends.
		tm.Send(`cd -- "$H4"`)
		tm.WaitExit()
		if got, want := sb.read("ret"), sb.path(filepath.Join("h", hostileNames[4])); got != want {
			t.Errorf("return file has %q, want %q", got, want)
		}
		if n := len(sb.calls()); n != 0 {
			t.Errorf("sbx called %d times inside a machine, want 0", n)
		}
		if p := sb.pwned(); len(p) > 0 {
			t.Errorf("a hostile directory name ran a command: %q", p)
		}
	})
}

// TestHookNonInteractive: a non-interactive shell that sources the hook
// gets no hook and calls nothing.
func TestHookNonInteractive(t *testing.T) {
	// Each prints "hook=none" only if no prompt hook and no hook function
	// is there after sourcing and a cd into a project.
	scripts := map[string][]string{
		"bash": {"bash", "--noprofile", "--norc", "-c",
			`source "$HOOK"; cd -- "$PROJ"; [[ -z ${PROMPT_COMMAND-} ]] && ! type -t __sbx_hook && echo hook=none`},
		"zsh": {"zsh", "-f", "-c",
			`source "$HOOK"; cd -- "$PROJ"; (( ! ${#precmd_functions} && ! ${+functions[__sbx_precmd]} )) && echo hook=none`},
		"fish": {"fish", "--no-config", "-c",
			`source "$HOOK"; cd -- "$PROJ"; functions -q __sbx_on_prompt; or echo hook=none`},
	}
	for _, st := range shellsUnderTest(t) {
		sh, _ := Lookup(st.name)
		sb := newSandbox(t, sh)
		cmd := scripts[st.name]
		c := execIn(sb, cmd)
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", st.name, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != "hook=none" {
			t.Errorf("%s non-interactive: hook installed: %q", st.name, got)
		}
		if n := len(sb.calls()); n != 0 {
			t.Errorf("%s non-interactive: sbx called %d times", st.name, n)
		}
	}
}

func TestMain(m *testing.M) {
	os.Exit(m.Run())
}
