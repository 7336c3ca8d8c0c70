package shellhook

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/completions"
	"github.com/sbxdev/sbx/hooks"
	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

func TestDetectShell(t *testing.T) {
	cases := map[string]string{
		"bash": "bash", "-bash": "bash", "/bin/bash": "bash", "/usr/bin/zsh": "zsh", "-zsh": "zsh",
		"fish": "fish", "/usr/local/bin/fish": "fish", "zsh-5.9": "zsh", "bash5": "bash", " zsh\n": "zsh",
	}
	for in, want := range cases {
		sh, err := DetectShell(in)
		if err != nil {
			t.Errorf("DetectShell(%q): %v", in, err)
			continue
		}
		if sh.Name() != want {
			t.Errorf("DetectShell(%q) = %s, want %s", in, sh.Name(), want)
		}
	}
	for _, bad := range []string{"", "sh", "/bin/dash", "tcsh", "-", "pwsh"} {
		if sh, err := DetectShell(bad); err == nil {
			t.Errorf("DetectShell(%q) = %s, want an error", bad, sh.Name())
		}
	}
}

// Each embedded file holds the placeholder exactly once, so Render can
// never leave a file calling a binary named '@SBX_BIN@'.
func TestFilesHoldOnePlaceholder(t *testing.T) {
	files := map[string]string{
		"hooks/sbx.bash": hooks.Bash, "hooks/sbx.zsh": hooks.Zsh, "hooks/sbx.fish": hooks.Fish,
		"completions/sbx.bash": completions.Bash, "completions/_sbx": completions.Zsh, "completions/sbx.fish": completions.Fish,
	}
	for name, text := range files {
		if n := strings.Count(text, BinPlaceholder); n != 1 {
			t.Errorf("%s holds %s %d times, want once", name, BinPlaceholder, n)
		}
	}
	for _, sh := range Shells() {
		for what, text := range map[string]string{"hook": sh.Hook("/x/sbx"), "completion": sh.Completion("/x/sbx")} {
			if strings.Contains(text, "@SBX_BIN@") || !strings.Contains(text, "'/x/sbx'") {
				t.Errorf("%s %s: binary path not templated in", sh.Name(), what)
			}
		}
	}
}

// TestQuoteInRealShells reads each quoted word back in the real shell: it
// must come out as the very same string and run nothing.
func TestQuoteInRealShells(t *testing.T) {
	words := append([]string{"/usr/local/lib/sbx/sbx", "", `a\b`, `a\'b`, "it's", `\`}, hostileNames...)
	dir := t.TempDir()
	for _, sh := range Shells() {
		for _, w := range words {
			script := "printf '%s' " + sh.Quote(w)
			argv := map[string][]string{"bash": {"bash", "--norc", "-c"}, "zsh": {"zsh", "-f", "-c"}, "fish": {"fish", "--no-config", "-c"}}[sh.Name()]
			cmd := exec.Command(argv[0], append(argv[1:], script)...)
			cmd.Dir = dir
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("%s reading %q: %v", sh.Name(), w, err)
				continue
			}
			if string(out) != w {
				t.Errorf("%s read %s back as %q, want %q", sh.Name(), sh.Quote(w), out, w)
			}
		}
		if m, _ := filepath.Glob(filepath.Join(dir, "pwned*")); len(m) > 0 {
			t.Errorf("%s: quoting ran a command: %v", sh.Name(), m)
		}
	}
}

// TestHookCallsHostileBinaryPath: a binary installed under a path with
// quotes, spaces and $(...) is still called as that one path.
func TestHookCallsHostileBinaryPath(t *testing.T) {
	inEveryShell(t, func(t *testing.T, st shellUnderTest, sb *sandbox) {
		bindir := sb.path("bin/it's a $(touch pwned9) `dir`")
		sb.mkdir("bin/it's a $(touch pwned9) `dir`")
		stub := filepath.Join(bindir, "s\"b'x")
		if err := os.Symlink(sb.path("stub/sbx"), stub); err != nil {
			t.Fatal(err)
		}
		sb.write("hook", sb.sh.Hook(stub))
		tm := ptytest.Start(t, st.name, st.argv, sb.root, sb.env)
		tm.Run(`source "$HOOK"`)
		tm.Run(`cd -- "$PROJ"`)
		if n := len(sb.calls()); n != 1 {
			t.Errorf("stub at %q called %d times, want 1", stub, n)
		}
		if p := sb.pwned(); len(p) > 0 {
			t.Errorf("the binary's path ran a command: %q", p)
		}
	})
}
