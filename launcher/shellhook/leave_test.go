package shellhook

import (
	"strings"
	"testing"
)

// TestHookGuestHandsBackCd: in the machine's shell the hook opened, only the
// project exists (the test's targets exist nowhere), so a cd to a place
// outside it fails there; it must be handed back to the host shell as
// directory NUL cd NUL target, and the shell must end. A cd that fails
// inside the project stays an ordinary error, with its $?.
func TestHookGuestHandsBackCd(t *testing.T) {
	type leave struct {
		name  string
		setup string // typed first (bash syntax; fish gets its dialect)
		line  string
		want  map[string]string // shell → "cmd\x00target"; "*" for all
	}
	all := func(v string) map[string]string { return map[string]string{"*": v} }
	cases := []leave{
		{"relative", "", "cd ../../../nowhere/x", all("cd\x00../../../nowhere/x")},
		{"absolute", "", `cd "$T/nowhere"`, nil}, // target filled in below
		{"cd - with no history here", "", "cd -", map[string]string{"bash": "cd-\x00-", "zsh": "cd-\x00-", "fish": "prevd\x00"}},
		{"pushd", "", `pushd "$T/nowhere"`, nil},
		{"CDPATH", "export CDPATH=$T/cdp", "cd name", all("cd\x00name")},
	}
	fishOnly := []leave{
		{"prevd", "", "prevd", all("prevd\x00")},
		{"nextd", "", "nextd", all("nextd\x00")},
	}
	inEveryShell(t, func(t *testing.T, st shellUnderTest, sb *sandbox) {
		list := cases
		if st.name == "fish" {
			list = append(append([]leave{}, cases...), fishOnly...)
		}
		for _, c := range list {
			want := c.want["*"]
			if w, ok := c.want[st.name]; ok {
				want = w
			}
			if c.want == nil {
				cmd := strings.Fields(c.line)[0]
				if st.name == "fish" {
					cmd = "cd" // fish's pushd calls cd
				}
				want = cmd + "\x00" + sb.path("nowhere")
			}
			sb.write("ret", "")
			tm := startGuestShell(t, st, sb)
			if c.setup != "" {
				tm.Run(st.dialect(c.setup))
			}
			tm.Send(c.line)
			tm.WaitExit()
			if got := sb.read("ret"); got != sb.path("proj/sub/deeper")+"\x00"+want {
				t.Errorf("%s: %q handed back %q, want %q", c.name, c.line, got, sb.path("proj/sub/deeper")+"\x00"+want)
			}
		}
		// Inside the project a failing cd is an error as usual.
		sb.write("ret", "")
		tm := startGuestShell(t, st, sb)
		for _, l := range []string{"cd nosuch", "cd ../../nosuch", `cd "$PROJ/nosuch"`} {
			out := tm.Run(st.dialect(l + `; echo "st=$?"`))
			if !strings.Contains(out, "st=1") {
				t.Errorf("%q inside the project: want an error and st=1:\n%s", l, out)
			}
		}
		// A cd in a command substitution is a script's, not the user
		// moving: it fails as usual, and the shell stays.
		out := tm.Run(`echo "x=$(cd ../../../nowhere 2>/dev/null && echo in)."`)
		if !tm.Alive() || !strings.Contains(out, "x=.") || strings.Contains(sb.read("ret"), "\x00") {
			t.Errorf("a cd in $(...) handed back %q or ended the shell (alive %v):\n%s", sb.read("ret"), tm.Alive(), out)
		}
		out = tm.Run(st.dialect(`cd ..; echo "st=$?"`))
		if !tm.Alive() || !strings.Contains(out, "st=0") {
			t.Errorf("cd .. inside the project ended the shell or failed:\n%s", out)
		}
		if got := sb.read("ret"); got != sb.path("proj/sub") {
			t.Errorf("return file %q after cd inside the project, want %q", got, sb.path("proj/sub"))
		}
		if n := len(sb.calls()); n != 0 {
			t.Errorf("sbx called %d times inside a machine", n)
		}
	})
}
