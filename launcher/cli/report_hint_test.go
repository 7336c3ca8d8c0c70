package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/hint"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
	"github.com/sbxdev/sbx/launcher/trust"
)

// Every error type that carries a next step is a hint.Hinter, so report
// finds it without an adapter.
var (
	_ hint.Hinter = (*HintError)(nil)
	_ hint.Hinter = (*rootError)(nil)
	_ hint.Hinter = (*sandboxfile.ParseError)(nil)
	_ hint.Hinter = (*trust.OwnerError)(nil)
)

// reported is what report prints for err.
func reported(err error) string {
	var b bytes.Buffer
	(&Ctx{IO: IO{Err: &b}}).report(err)
	return b.String()
}

// TestReportPrintsEachHintOnce: each kind of hint-carrying error gets its
// hint on one line under the message, also when wrapped; with hints at two
// depths only the outermost is printed; the text is escaped.
func TestReportPrintsEachHintOnce(t *testing.T) {
	_, parseErr := sandboxfile.Parse("/p/.sandbox", []byte("[Machine]\nPakages=git\n"), "/home/ada")
	if hint.Of(parseErr) == "" {
		t.Fatalf("Parse = %v, want a parse error with a fix", parseErr)
	}
	owner := &trust.OwnerError{Path: "/p/.sandbox", Reason: "is writable by others", Fix: "run: chmod go-w /p/.sandbox"}
	// As runRoot makes it from the helper's error event (its Hint field).
	root := &rootError{msg: "debootstrap is missing", hint: "sudo apt-get install debootstrap", code: 100}
	for name, tt := range map[string]struct {
		err  error
		want string
	}{
		"WithHint":             {WithHint(errors.New("machine p is not running"), "start it: sbx start %s", "p"), "sbx: machine p is not running\n  start it: sbx start p\n"},
		"ParseError":           {parseErr, "sbx: /p/.sandbox:2: unknown key Pakages= in [Machine]\n  did you mean Packages=? (keys are case-sensitive)\n"},
		"OwnerError":           {owner, "sbx: /p/.sandbox is writable by others\n  run: chmod go-w /p/.sandbox\n"},
		"rootError":            {root, "sbx: debootstrap is missing\n  sudo apt-get install debootstrap\n"},
		"wrapped ParseError":   {fmt.Errorf("loading: %w", parseErr), "sbx: loading: /p/.sandbox:2: unknown key Pakages= in [Machine]\n  did you mean Packages=? (keys are case-sensitive)\n"},
		"wrapped OwnerError":   {fmt.Errorf("allow: %w", owner), "sbx: allow: /p/.sandbox is writable by others\n  run: chmod go-w /p/.sandbox\n"},
		"outermost wins":       {WithHint(fmt.Errorf("checking: %w", owner), "ask the owner"), "sbx: checking: /p/.sandbox is writable by others\n  ask the owner\n"},
		"empty outer skipped":  {WithHint(owner, ""), "sbx: /p/.sandbox is writable by others\n  run: chmod go-w /p/.sandbox\n"},
		"no hint":              {errors.New("disk full"), "sbx: disk full\n"},
		"not authorized":       {fmt.Errorf("starting p: %w", machine.ErrNotAuthorized), "sbx: starting p: " + machine.ErrNotAuthorized.Error() + "\n  " + notAuthorizedHint + "\n"},
		"not authorized, hint": {WithHint(machine.ErrNotAuthorized, "ask root"), "sbx: " + machine.ErrNotAuthorized.Error() + "\n  ask root\n"},
		"escaped":              {&trust.OwnerError{Path: "/a", Reason: "is bad", Fix: "chmod go-w /a\x1b[2Jb"}, "sbx: /a is bad\n  chmod go-w /a\\e[2Jb\n"},
	} {
		got := reported(tt.err)
		if got != tt.want {
			t.Errorf("%s: report printed\n%q\nwant\n%q", name, got, tt.want)
		}
		if n := strings.Count(got, "\n  "); n > 1 {
			t.Errorf("%s: %d hint lines, want at most one:\n%s", name, n, got)
		}
	}
}
