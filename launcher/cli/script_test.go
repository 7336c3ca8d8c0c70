package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary act as the sbx command (and as
// expect-exit) inside testscript scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sbx": func() { os.Exit(Main(os.Args[1:], OSEnv(), StdIO())) },
		// expect-exit CODE sbx ARGS... runs sbx and succeeds only if it
		// exits with exactly CODE, so scripts can tell 125 from 1 from 2.
		"expect-exit": func() {
			if len(os.Args) < 3 || os.Args[2] != "sbx" {
				fmt.Fprintln(os.Stderr, "usage: expect-exit CODE sbx ARGS...")
				os.Exit(2)
			}
			want, err := strconv.Atoi(os.Args[1])
			if err != nil {
				fmt.Fprintln(os.Stderr, "expect-exit: bad code:", err)
				os.Exit(2)
			}
			if got := Main(os.Args[3:], OSEnv(), StdIO()); got != want {
				fmt.Fprintf(os.Stderr, "expect-exit: sbx exited %d, want %d\n", got, want)
				os.Exit(1)
			}
			os.Exit(0)
		},
	})
}

// TestScripts runs testdata/script/*.txtar: CLI behaviour that needs no
// machine. HOME and the XDG directories live in the script's scratch dir.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			home := filepath.Join(env.WorkDir, "home")
			vars := map[string]string{
				"HOME":            home,
				"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
				"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
				"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
				"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
				"USER":            os.Getenv("USER"),
				"LANG":            "C.UTF-8",
			}
			for k, v := range vars {
				env.Setenv(k, v)
			}
			// REAL is $WORK with symlinks resolved: sbx prints real paths.
			real, err := filepath.EvalSymlinks(env.WorkDir)
			if err != nil {
				return err
			}
			env.Setenv("REAL", real)
			return os.MkdirAll(home, 0o755)
		},
	})
}

// TestEveryCommandHelp walks the whole command tree: `sbx CMD --help` and
// `sbx help CMD` exit 0 and show the command's usage and a description.
func TestEveryCommandHelp(t *testing.T) {
	for _, cmd := range commands() {
		for _, args := range [][]string{{cmd.Name, "--help"}, {cmd.Name, "-h"}, {"help", cmd.Name}} {
			var out, errOut strings.Builder
			code := Main(args, Env{"HOME": t.TempDir()}, IO{Out: &out, Err: &errOut})
			if code != 0 {
				t.Errorf("sbx %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut.String())
			}
			if want := "Usage: sbx " + cmd.Name; !strings.Contains(out.String(), want) {
				t.Errorf("sbx %s: output does not contain %q:\n%s", strings.Join(args, " "), want, out.String())
			}
			if cmd.Short == "" {
				t.Errorf("command %s has no short description", cmd.Name)
			}
		}
	}
	var out strings.Builder
	if code := Main([]string{"--help"}, Env{}, IO{Out: &out, Err: &out}); code != 0 {
		t.Fatalf("sbx --help: exit %d", code)
	}
	for _, cmd := range commands() {
		if !cmd.Hidden && !strings.Contains(out.String(), "  "+cmd.Name+" ") {
			t.Errorf("sbx --help does not list %s:\n%s", cmd.Name, out.String())
		}
	}
}

// TestTrustCommandsTeach checks that the commands owned here explain
// themselves: a Long text that names the ideas a user needs.
func TestTrustCommandsTeach(t *testing.T) {
	want := map[string][]string{
		"init":  {".sandbox", "--force", "sbx allow", "home directory"},
		"allow": {"real path", "sha256", "chmod go-w", "sbx deny"},
		"deny":  {"wins over", "sbx allow"},
		"trust": {"allowed", "changed", "denied", "untrusted", "exit status is 0", "125"},
	}
	for name, words := range want {
		cmd := lookup(name)
		if cmd == nil {
			t.Fatalf("no command %s", name)
		}
		for _, w := range words {
			if !strings.Contains(cmd.Long, w) {
				t.Errorf("sbx %s --help does not mention %q", name, w)
			}
		}
	}
}

// TestAllowShowsFileOnTerminal checks that `sbx allow` shows the file it
// trusts when stdout is a real terminal (testscript has no pty for stdout).
func TestAllowShowsFileOnTerminal(t *testing.T) {
	home := t.TempDir()
	proj := filepath.Join(t.TempDir(), "proj")
	content := "[Machine]\nPackages=git\n# a comment only shown in full\n"
	makeProject(t, proj, content)
	var errOut strings.Builder
	code, shown := allowOnTerminal(t, home, proj, &errOut)
	if code != 0 {
		t.Fatalf("sbx allow on a terminal: exit %d: %s", code, errOut.String())
	}
	out := strings.ReplaceAll(shown, "\r\n", "\n")
	if !strings.Contains(out, content) || !strings.Contains(out, "Allowed ") {
		t.Errorf("terminal output does not show the file and the result:\n%s", out)
	}
	if strings.Index(out, content) > strings.Index(out, "Allowed ") {
		t.Errorf("the file is shown after it was trusted:\n%s", out)
	}
}

// makeProject makes dir with a .sandbox holding content.
func makeProject(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".sandbox"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// allowOnTerminal runs sbx allow proj with stdout on a terminal (and
// stderr too when errOut is nil); it returns the exit code and what the
// terminal showed.
func allowOnTerminal(t *testing.T, home, proj string, errOut io.Writer) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var shown bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&shown, ptmx) // until the tty side is closed (EIO)
		close(done)
	}()
	if errOut == nil {
		errOut = tty
	}
	code := Main([]string{"allow", proj}, Env{"HOME": home}, IO{Out: tty, OutFile: tty, Err: errOut})
	tty.Close()
	<-done
	return code, shown.String()
}
