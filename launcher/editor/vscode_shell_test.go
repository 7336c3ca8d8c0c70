package editor

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/shellhook"
	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

// stubSbx stands in for the sbx binary the hook calls: it logs each call
// and hands back the directory in $T/next-cd through --cd-file, as the
// real `sbx shell --auto` does when the user cds out of the project.
const stubSbx = `#!/bin/sh
printf 'CALL %s\n' "$*" >>"$T/calls"
while [ $# -gt 0 ]; do
  if [ "$1" = --cd-file ] && [ -e "$T/next-cd" ]; then cat "$T/next-cd" >"$2"; rm -f "$T/next-cd"; fi
  shift
done
`

// TestHookWithVSCodeIntegration: sbx's host hook and VS Code's shell
// integration mechanics (testdata/vscode-integration.*: PROMPT_COMMAND
// wrapped, a DEBUG trap, PS1 markers; zsh: precmd/preexec) loaded in either
// order in a real interactive bash and zsh: entering a project calls sbx
// once, a directory handed back is followed, $? survives, and VS Code's
// hooks keep running. The e2e suite does the same with real machines.
func TestHookWithVSCodeIntegration(t *testing.T) {
	shells := []struct {
		name string
		argv []string
	}{
		{"bash", []string{"bash", "--noprofile", "--norc", "-i"}},
		{"zsh", []string{"zsh", "-f", "-i"}},
	}
	for _, s := range shells {
		if _, err := exec.LookPath(s.argv[0]); err != nil {
			t.Fatalf("%s is needed for this test (apt-get install %s): %v", s.name, s.name, err)
		}
		for _, order := range []string{"vscode-first", "sbx-first"} {
			t.Run(s.name+"/"+order, func(t *testing.T) {
				t.Parallel()
				root, err := filepath.EvalSymlinks(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range []string{"proj/sub", "plain", "tmp"} {
					os.MkdirAll(filepath.Join(root, d), 0o755)
				}
				os.WriteFile(filepath.Join(root, "proj/.sandbox"), []byte("[Machine]\n"), 0o644)
				stub := filepath.Join(root, "sbx")
				os.WriteFile(stub, []byte(stubSbx), 0o755)
				sh, err := shellhook.Lookup(s.name)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(root, "hook"), []byte(sh.Hook(stub)), 0o644)
				fixture, err := filepath.Abs(filepath.Join("testdata", "vscode-integration."+s.name))
				if err != nil {
					t.Fatal(err)
				}
				env := []string{"PATH=/usr/bin:/bin", "TERM=dumb", "HOME=" + root, "TMPDIR=" + root + "/tmp",
					"T=" + root, "HISTFILE=", "LANG=C.UTF-8"}
				tm := ptytest.Start(t, s.name, s.argv, filepath.Join(root, "plain"), env)
				tm.Sync()
				first, second := `source "`+fixture+`"`, `source "$T/hook"`
				if order == "sbx-first" {
					first, second = second, first
				}
				tm.Run(first)
				tm.Run(second)
				before := counters(t, tm.Run(`echo "fx=$__fx_precmds/$__fx_preexecs"`))

				tm.Run(`cd "$T/proj/sub"`)
				if n := strings.Count(read(t, root, "calls"), "CALL shell --auto"); n != 1 {
					t.Errorf("entering the project called sbx shell --auto %d times, want 1", n)
				}
				os.WriteFile(filepath.Join(root, "next-cd"), []byte(filepath.Join(root, "plain")), 0o644)
				tm.Run(`cd "$T"`)
				tm.Run(`cd "$T/proj"`)
				out := tm.Run(`echo "pwd=$PWD"`)
				if !strings.Contains(out, "pwd="+filepath.Join(root, "plain")) {
					t.Errorf("the directory handed back was not followed:\n%s", out)
				}
				tm.Send("false") // no Sync in between: its echo would reset $?
				if out := tm.Run(`echo "st=$?"`); !strings.Contains(out, "st=1") {
					t.Errorf("$? lost:\n%s", out)
				}
				after := counters(t, tm.Run(`echo "fx=$__fx_precmds/$__fx_preexecs"`))
				if after[0] <= before[0]+3 || after[1] <= before[1]+3 {
					t.Errorf("VS Code's hooks stopped running: prompts/commands %v before, %v after", before, after)
				}
				if n := strings.Count(read(t, root, "calls"), "CALL"); n != 2 {
					t.Errorf("sbx called %d times, want 2:\n%s", n, read(t, root, "calls"))
				}
			})
		}
	}
}

var fxRE = regexp.MustCompile(`fx=(\d+)/(\d+)`)

func counters(t *testing.T, out string) [2]int {
	t.Helper()
	m := fxRE.FindAllStringSubmatch(out, -1)
	if m == nil {
		t.Fatalf("no fx= counters in:\n%s", out)
	}
	last := m[len(m)-1]
	a, _ := strconv.Atoi(last[1])
	b, _ := strconv.Atoi(last[2])
	return [2]int{a, b}
}

func read(t *testing.T, root, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
