package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// TestUntrustedTextIsEscaped: a project directory whose name holds an
// escape sequence, and a .sandbox line that does, reach the terminal
// escaped, both in the file shown for review and in error messages.
func TestUntrustedTextIsEscaped(t *testing.T) {
	home := t.TempDir()
	proj := filepath.Join(t.TempDir(), "dir\x1b[2Jname")
	// The parser refuses C0 controls in .sandbox (see below); a bidi
	// override in a comment is what is left to show.
	content := "[Machine]\nPackages=git\n# \u202eevil \u2066x\n"
	os.MkdirAll(proj, 0o755)
	os.WriteFile(filepath.Join(proj, ".sandbox"), []byte(content), 0o644)
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	var shown bytes.Buffer
	done := make(chan struct{})
	go func() {
		io.Copy(&shown, ptmx)
		close(done)
	}()
	code := Main([]string{"allow", proj}, Env{"HOME": home}, IO{Out: tty, OutFile: tty, Err: tty})
	tty.Close()
	<-done
	if code != 0 {
		t.Fatalf("sbx allow: exit %d:\n%q", code, shown.String())
	}
	out := shown.String()
	if strings.ContainsAny(out, "\x1b\u202e\u2066") {
		t.Errorf("control characters reached the terminal:\n%q", out)
	}
	for _, want := range []string{`dir\e[2Jname`, `\u202eevil \u2066x`} {
		if !strings.Contains(out, want) {
			t.Errorf("the review does not show %s:\n%q", want, out)
		}
	}

	// A parse error quotes the line: escaped as well.
	os.WriteFile(filepath.Join(proj, ".sandbox"), []byte("[Machine]\nBogus\x1b[2J=1\n"), 0o644)
	var errOut strings.Builder
	Main([]string{"allow", proj}, Env{"HOME": home}, IO{Out: io.Discard, Err: &errOut})
	if strings.Contains(errOut.String(), "\x1b") || !strings.Contains(errOut.String(), `\e[2J`) {
		t.Errorf("the error printed the line raw: %q", errOut.String())
	}
}
