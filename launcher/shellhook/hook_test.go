package shellhook

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

// shellUnderTest says how to start a shell with no rc files and how its
// syntax differs from bash for the few commands the scenarios type.
type shellUnderTest struct {
	name string
	argv []string
	// dialect rewrites a bash-style command line for this shell.
	dialect func(string) string
}

func shellsUnderTest(t *testing.T) []shellUnderTest {
	t.Helper()
	same := func(s string) string { return s }
	shells := []shellUnderTest{
		{"bash", []string{"bash", "--noprofile", "--norc", "-i"}, same},
		{"zsh", []string{"zsh", "-f", "-i"}, same},
		{"fish", []string{"fish", "--no-config", "-i"}, fishDialect},
	}
	for _, s := range shells {
		if _, err := exec.LookPath(s.argv[0]); err != nil {
			t.Fatalf("%s is needed for the hook tests (apt-get install %s): %v", s.name, s.name, err)
		}
	}
	return shells
}

// inEveryShell runs test in a parallel subtest per shell, each with a
// sandbox of its own.
func inEveryShell(t *testing.T, test func(t *testing.T, st shellUnderTest, sb *sandbox)) {
	for _, st := range shellsUnderTest(t) {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			sh, err := Lookup(st.name)
			if err != nil {
				t.Fatal(err)
			}
			test(t, st, newSandbox(t, sh))
		})
	}
}

// startGuestShell starts st as the shell `sbx shell` opens in a machine
// (SBX_MACHINE, SBX_PROJECT and its return file set), in proj/sub/deeper,
// with the hook sourced.
func startGuestShell(t *testing.T, st shellUnderTest, sb *sandbox) *ptytest.Term {
	t.Helper()
	env := append(slices.Clip(sb.env), "SBX_MACHINE=m", "SBX_PROJECT="+sb.path("proj"), "SBX_RETURN_FILE="+sb.path("ret"))
	tm := ptytest.Start(t, st.name, st.argv, sb.path("proj/sub/deeper"), env)
	tm.Sync()
	tm.Run(st.dialect(`source "$HOOK"`))
	return tm
}

// fishDialect turns the bash forms the scenarios use into fish.
func fishDialect(s string) string {
	if rest, ok := strings.CutPrefix(s, "export "); ok {
		k, v, _ := strings.Cut(rest, "=")
		return "set -gx " + k + " " + v
	}
	if rest, ok := strings.CutPrefix(s, "unset "); ok {
		return "set -e " + rest
	}
	return strings.ReplaceAll(s, "$?", "$status")
}

// sandbox is a scratch tree with projects, a recording stub standing in for
// the sbx binary, and the hook rendered to call that stub.
type sandbox struct {
	t    *testing.T
	sh   Shell // the shell its hook is rendered for
	root string
	stub string // directory of the stub's log and instructions
	env  []string
}

// Names of directories with characters that run commands if a shell ever
// evaluates them: each would create a file called pwned* in the cwd.
var hostileNames = []string{
	"$(touch pwned1)",
	"`touch pwned2`",
	"'; touch pwned3; '",
	`"; touch pwned4; "`,
	"a\nb; touch pwned5",
	"sp ace $(touch pwned6) ;touch pwned7",
	`\"'$HOME;{touch,pwned8}`,
}

func newSandbox(t *testing.T, sh Shell) *sandbox {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/.sandbox", "/tmp/.sandbox", filepath.Dir(root) + "/.sandbox"} {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s exists: it makes every directory below it a project; remove it to run the hook tests", p)
		}
	}
	sb := &sandbox{t: t, sh: sh, root: root, stub: filepath.Join(root, "stub")}
	dirs := map[string]string{
		"PLAIN": "plain", "PROJ": "proj", "SUB": "proj/sub/deeper", "PROJ2": "proj2",
		"X2": "proj2/x", "OTHER": "other", "HOME": "home", "TMPDIR": "tmp", "STUB": "stub",
		"NEST": "proj/nested-plain",
	}
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb", "LANG=C.UTF-8", "HISTFILE=",
		"T=" + root, "XDG_DATA_HOME=" + root + "/home/.local/share", "XDG_CONFIG_HOME=" + root + "/home/.config",
		"fish_greeting=",
	}
	for k, rel := range dirs {
		sb.mkdir(rel)
		env = append(env, k+"="+filepath.Join(root, rel))
	}
	sb.write("proj/.sandbox", "[machine]\n")
	sb.write("proj2/.sandbox", "[machine]\n")
	sb.mkdir("plain/fake/.sandbox") // a directory named .sandbox is no project
	for i, n := range hostileNames {
		rel := filepath.Join("h", n)
		sb.mkdir(filepath.Join(rel, "in"))
		sb.write(filepath.Join(rel, ".sandbox"), "[machine]\n")
		env = append(env, fmt.Sprintf("H%d=%s", i, filepath.Join(root, rel)))
	}
	stubPath := filepath.Join(sb.stub, "sbx")
	// No parallel test may fork while the stub's write descriptor is open:
	// the child would hold it until its exec, and the shell's exec of the
	// stub would fail with ETXTBSY (golang/go#22315). ForkLock is for this.
	syscall.ForkLock.RLock()
	err = os.WriteFile(stubPath, []byte(stubScript(sb.stub)), 0o755)
	syscall.ForkLock.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	sb.write("hook", sh.Hook(stubPath))
	env = append(env, "HOOK="+filepath.Join(root, "hook"))
	sb.env = env
	return sb
}

// stubScript records each call ("CALL args" a line, and the physical cwd
// of the last call in ./cwd); told so by files in dir, it writes a
// directory into the --cd-file (./next-cd) or sleeps until interrupted
// (./sleep).
func stubScript(dir string) string {
	return `#!/bin/sh
d=` + quotePOSIX(dir) + `
printf 'CALL %s\n' "$*" >>"$d/calls"
pwd -P >"$d/cwd"
cdfile=
while [ $# -gt 0 ]; do
  [ "$1" = --cd-file ] && cdfile=$2
  shift
done
if [ -n "$cdfile" ] && [ -s "$cdfile" ]; then echo "STUB: cd-file not empty"; fi
if [ -e "$d/sleep" ]; then
  rm -f "$d/sleep"
  echo STUB-SLEEPING
  sleep 60
fi
if [ -e "$d/next-cd" ] && [ -n "$cdfile" ]; then
  cat "$d/next-cd" >"$cdfile"
  rm -f "$d/next-cd"
fi
`
}

func (sb *sandbox) path(rel string) string { return filepath.Join(sb.root, rel) }

func (sb *sandbox) mkdir(rel string) {
	sb.t.Helper()
	if err := os.MkdirAll(sb.path(rel), 0o755); err != nil {
		sb.t.Fatal(err)
	}
}

func (sb *sandbox) write(rel, content string) {
	sb.t.Helper()
	if err := os.WriteFile(sb.path(rel), []byte(content), 0o644); err != nil {
		sb.t.Fatal(err)
	}
}

func (sb *sandbox) read(rel string) string {
	sb.t.Helper()
	b, err := os.ReadFile(sb.path(rel))
	if err != nil && !os.IsNotExist(err) {
		sb.t.Fatal(err)
	}
	return string(b)
}

// calls returns the argument lists the stub was called with so far.
func (sb *sandbox) calls() []string {
	var out []string
	for _, l := range strings.Split(sb.read("stub/calls"), "\n") {
		if a, ok := strings.CutPrefix(l, "CALL "); ok {
			out = append(out, a)
		}
	}
	return out
}

// pwned lists files a hostile name would have created anywhere in the tree.
func (sb *sandbox) pwned() []string {
	var found []string
	_ = filepath.WalkDir(sb.root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "pwned") {
			found = append(found, p)
		}
		return nil // best effort: keep walking past unreadable entries
	})
	return found
}

// leftovers lists files the hook left in TMPDIR (cd-files must go).
func (sb *sandbox) leftovers() []string {
	entries, _ := os.ReadDir(sb.path("tmp")) // best effort: missing means none
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "sbx-") {
			names = append(names, e.Name())
		}
	}
	return names
}

func execIn(sb *sandbox, argv []string) *exec.Cmd {
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = sb.root
	c.Env = sb.env
	return c
}
