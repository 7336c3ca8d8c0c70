package shellhook

import (
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/shellhook/ptytest"
)

// TestBashPromptCommandForms: the hook joins PROMPT_COMMAND once whether it
// is a string or (bash 5.1+) an array, and keeps what was there running.
func TestBashPromptCommandForms(t *testing.T) {
	forms := map[string]string{
		"array":               `PROMPT_COMMAND=(__t_pc 'true')`,
		"string":              `PROMPT_COMMAND='__t_pc'`,
		"string with newline": `PROMPT_COMMAND=$'__t_pc\ntrue'`,
	}
	sh, _ := Lookup("bash")
	for name, set := range forms {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sb := newSandbox(t, sh)
			tm := ptytest.Start(t, "bash", []string{"bash", "--noprofile", "--norc", "-i"}, sb.root, sb.env)
			tm.Run(`__t_n=0; __t_pc() { __t_n=$((__t_n+1)); }`)
			tm.Run(set)
			for range 3 {
				tm.Run(`source "$HOOK"`)
			}
			out := tm.Run(`echo "pc=<${PROMPT_COMMAND[*]}>"`)
			line := out[strings.LastIndex(out, "pc=<"):]
			if n := strings.Count(line, "__sbx_hook"); n != 1 {
				t.Errorf("__sbx_hook appears %d times in PROMPT_COMMAND: %q", n, line)
			}
			if !strings.Contains(line, "__t_pc") {
				t.Errorf("the user's prompt command is gone: %q", line)
			}
			if name == "array" {
				out = tm.Run(`declare -p PROMPT_COMMAND`)
				if !strings.Contains(out, `declare -a PROMPT_COMMAND=([0]="__sbx_hook" [1]="__t_pc" [2]="true")`) {
					t.Errorf("PROMPT_COMMAND array not kept as an array with the hook first:\n%s", out)
				}
			}
			tm.Run(`cd -- "$PROJ"`)
			if n := len(sb.calls()); n != 1 {
				t.Errorf("sbx called %d times, want 1", n)
			}
			a := tm.Run(`echo "n=<$__t_n>"`)
			b := tm.Run(`echo "n=<$__t_n>"`)
			if a[strings.LastIndex(a, "n=<"):] == b[strings.LastIndex(b, "n=<"):] {
				t.Errorf("the user's prompt command no longer runs at each prompt: %q then %q", a, b)
			}
		})
	}
}

// TestBashPreexec: with bash-preexec loaded the hook goes into its
// precmd_functions once and leaves PROMPT_COMMAND to bash-preexec. (Only
// the hook's side: bash-preexec itself is not packaged for Debian.)
func TestBashPreexec(t *testing.T) {
	sh, _ := Lookup("bash")
	sb := newSandbox(t, sh)
	tm := ptytest.Start(t, "bash", []string{"bash", "--noprofile", "--norc", "-i"}, sb.root, sb.env)
	tm.Run(`__bp_imported=defined; precmd_functions=(__t_pc)`)
	tm.Run(`source "$HOOK"`)
	tm.Run(`source "$HOOK"`)
	out := tm.Run(`echo "pf=<${precmd_functions[*]}> pc=<${PROMPT_COMMAND-}>"`)
	if !strings.Contains(out, "pf=<__t_pc __sbx_hook> pc=<>") {
		t.Errorf("want the hook once at the end of precmd_functions and PROMPT_COMMAND untouched:\n%s", out)
	}
}
