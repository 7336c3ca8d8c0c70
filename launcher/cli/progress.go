package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/bridge"
	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/safetext"
)

// progress shows a long operation: on a terminal one status line that is
// rewritten (phase, elapsed time, the tool's latest line); otherwise only
// the phases, one plain line each.
type progress struct {
	w      io.Writer
	tty    bool
	width  int
	phase  string
	since  time.Time
	start  time.Time
	detail string
}

func (c *Ctx) newProgress() *progress {
	p := &progress{w: c.IO.Err, start: time.Now(), width: 80}
	if f := c.IO.ErrFile; bridge.IsTerminal(f) {
		p.tty = true
		if w := bridge.Width(f); w > 20 {
			p.width = w
		}
	}
	return p
}

func (p *progress) event(e builder.Event) {
	switch {
	case e.Phase != "":
		p.endPhase()
		p.phase, p.since, p.detail = safetext.Escape(e.Phase), time.Now(), ""
		if !p.tty {
			fmt.Fprintf(p.w, "sbx: %s\n", p.phase)
		}
	case e.Log != "":
		p.detail = safetext.Escape(e.Log)
	case e.Out != "":
		p.println(e.Out)
	case e.Info != "":
		p.println("sbx: " + safetext.Escape(e.Info))
	case e.Error != "":
		// The phase did not finish: no tick for it (an interrupt too).
		p.failPhase()
		p.phase = ""
		return
	case e.Done:
		p.endPhase()
		p.phase = ""
		return
	}
	p.draw()
}

func (p *progress) println(s string) {
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintln(p.w, s)
}

func (p *progress) endPhase() {
	if p.phase != "" && p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K✓ %s (%s)\n", p.phase, round(time.Since(p.since)))
	}
}

// failPhase ends the current phase's line without claiming it finished.
func (p *progress) failPhase() {
	if p.phase != "" && p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K✗ %s (stopped after %s)\n", p.phase, round(time.Since(p.since)))
	}
}

func (p *progress) draw() {
	if !p.tty || p.phase == "" {
		return
	}
	line := fmt.Sprintf("… %s [%s]", p.phase, round(time.Since(p.since)))
	if p.detail != "" {
		line += "  " + strings.TrimSpace(p.detail)
	}
	if r := []rune(line); len(r) > p.width-1 {
		line = string(r[:p.width-1])
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

func round(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
