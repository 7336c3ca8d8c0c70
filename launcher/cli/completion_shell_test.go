package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/shellhook"
	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

// completionScript renders SHELL's completion calling this test binary as
// sbx (testscript's TestMain put it in $PATH), into a scratch dir.
func completionScript(t *testing.T, shell, name string) (dir, path string) {
	t.Helper()
	bin, err := exec.LookPath("sbx")
	if err != nil || !strings.Contains(bin, "testscript-main") {
		t.Fatalf("sbx in PATH is %q (%v), want the test binary TestMain provides", bin, err)
	}
	if _, err := exec.LookPath(shell); err != nil {
		t.Fatalf("%s is needed for the completion tests (apt-get install %s)", shell, shell)
	}
	sh, err := shellhook.Lookup(shell)
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	path = filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(sh.Completion(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

func visibleCommands() []string {
	var names []string
	for _, c := range commands() {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return names
}

// TestBashCompletion calls the completion function the way bash does, with
// COMP_WORDS and COMP_CWORD, and reads COMPREPLY.
func TestBashCompletion(t *testing.T) {
	dir, path := completionScript(t, "bash", "sbx.bash")
	if err := os.MkdirAll(filepath.Join(dir, "usable dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		words string // COMP_WORDS as bash source; the last is the one completed
		want  string // COMPREPLY, sorted, space-separated
	}{
		{`sbx st`, "start status stop"},
		{`sbx ''`, strings.Join(sorted(visibleCommands()), " ")},
		{`sbx --v`, "--version"},
		{`sbx start --t`, "--timeout"},
		{`sbx hook ''`, "bash fish zsh"},
		{`sbx completion z`, "zsh"},
		{`sbx trust ''`, "list status"},
		{`sbx help ru`, "run"},
		{`sbx run -e A=B ech`, "echo"},
		{`sbx init usa`, "usable dir"},
	}
	for _, c := range cases {
		script := `source "$1"; complete -p sbx >/dev/null || exit 9
COMP_WORDS=(` + c.words + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
_sbx; printf '%s\n' "${COMPREPLY[@]}" | sort -u | paste -sd' '`
		got := runIn(t, dir, "bash", "--noprofile", "--norc", "-c", script, "bash", path)
		if got != c.want {
			t.Errorf("bash: %s<TAB> = %q, want %q", c.words, got, c.want)
		}
	}
	// With bash-completion loaded, the program's own completion takes over
	// from PROGRAM on: _command_offset gets the index of PROGRAM.
	script := `source "$1"; _command_offset() { echo "offset=$1"; }
COMP_WORDS=(sbx run -e A=B make cl); COMP_CWORD=5; _sbx`
	if got := runIn(t, dir, "bash", "--noprofile", "--norc", "-c", script, "bash", path); got != "offset=4" {
		t.Errorf("bash: sbx run -e A=B make cl<TAB> called %q, want offset=4", got)
	}
}

// TestFishCompletion asks fish itself what it would complete.
func TestFishCompletion(t *testing.T) {
	dir, path := completionScript(t, "fish", "sbx.fish")
	cases := map[string]string{
		"sbx st":               "start status stop",
		"sbx start --t":        "--timeout",
		"sbx hook ":            "bash fish zsh",
		"sbx trust ":           "list status",
		"sbx run -e A=B ech":   "echo",
		"sbx run -e A=B echo ": "", // echo's own arguments: files, none here
	}
	for line, want := range cases {
		script := `source $argv[1]; complete -C "` + line + `" | string replace -r '\t.*' '' | sort -u | paste -sd' '`
		got := runIn(t, dir, "fish", "--no-config", "-c", script, path)
		if line == "sbx run -e A=B echo " {
			want = "sbx.fish" // the scratch dir holds only the script
		}
		if got != want {
			t.Errorf("fish: %q<TAB> = %q, want %q", line, got, want)
		}
	}
}

// TestZshCompletion types TAB in an interactive zsh with compinit and the
// completion function on $fpath.
func TestZshCompletion(t *testing.T) {
	dir, _ := completionScript(t, "zsh", "_sbx")
	env := []string{"PATH=" + os.Getenv("PATH"), "TERM=dumb", "HOME=" + dir, "LANG=C.UTF-8"}
	tm := ptytest.Start(t, "zsh", []string{"zsh", "-f", "-i"}, dir, env)
	tm.Run(`fpath=("$HOME" $fpath); autoload -Uz compinit; compinit -u -D; PS1='%% '`)
	tm.Type("sbx ho\t")
	tm.Expect("sbx hook ")
	tm.Type("\x15") // Ctrl-U: clear the line
	tm.Sync()
	// Three candidates: zsh lists them under the line.
	tm.Type("sbx hook \t")
	tm.Expect("bash")
	tm.Expect("fish")
	tm.Expect("zsh")
	tm.Type("\x15")
	tm.Sync()
	tm.Type("sbx trust s\t")
	tm.Expect("sbx trust status ")
	tm.Type("\x15")
	tm.Sync()
	tm.Type("sbx st\t")
	tm.Expect("start")
	tm.Expect("status")
	tm.Expect("stop")
}

func runIn(t *testing.T, dir string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv[:1], err, out)
	}
	return strings.TrimSpace(string(out))
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
