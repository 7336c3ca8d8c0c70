package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/builder"
)

// An interrupted or failed phase must not get the tick of a finished one
// (seen on a Ctrl-C during a lazy create from the shell hook).
func TestProgressPhaseEnds(t *testing.T) {
	for _, c := range []struct {
		last      builder.Event
		want, not string
	}{
		{builder.Event{Error: "interrupted; nothing was left half-built", Code: 130}, "✗ Bootstrapping (stopped after", "✓"},
		{builder.Event{Done: true}, "✓ Bootstrapping (", "✗"},
	} {
		var buf bytes.Buffer
		p := &progress{w: &buf, tty: true, width: 80}
		p.event(builder.Event{Phase: "Bootstrapping"})
		p.event(c.last)
		if out := buf.String(); !strings.Contains(out, c.want) || strings.Contains(out, c.not) {
			t.Errorf("after %+v the progress shows %q, want %q and no %q", c.last, out, c.want, c.not)
		}
	}
}
