package cli

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
)

func doctorCmd() *Command {
	var asJSON bool
	return &Command{
		Name: "doctor", Group: "Machines", Short: "check that this host is ready for sbx",
		Long: `Checks what sbx needs on this host and says how to fix each problem: systemd
as PID 1, the system D-Bus and systemd-machined, the polkit rule and whether
polkit lets you manage machines, your membership of group sbx (also in this
login session), debootstrap or mmdebstrap and the archive keyrings, free space
in /var/lib/machines, the cgroup setup, and the installed sbx binary.
Exits 0 when everything needed is there, 1 otherwise; lines marked ! are advice.

--json prints one object with the same content: ready (true or false), problems
(how many checks failed) and checks, an array of objects with name, verdict
(ok, fail or advice), detail and fix (each left out when empty).`,
		Flags: func(fs *flag.FlagSet) { jsonFlag(fs, &asJSON) },
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("doctor takes no arguments")
			}
			dc, cancel := c.within(30 * time.Second)
			defer cancel()
			ctx := dc.Context()
			d := &doctor{self: c.Self, pkg: hostPackager()}
			if machine.Preflight() == nil {
				if bus, err := machine.Connect(ctx); err == nil {
					d.bus = bus
					defer bus.Close()
				} else {
					d.busErr = err
				}
			}
			results := d.run(ctx)
			failed := 0
			if asJSON {
				var err error
				if failed, err = reportJSON(c.IO.Out, results); err != nil {
					return err
				}
			} else {
				failed = report(c.IO.Out, results)
			}
			if failed > 0 {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
}

// verdict is how one check came out.
type verdict int

const (
	pass   verdict = iota
	fail           // sbx will not work until it is fixed
	advice         // works, but could be better
)

// checkResult is one line of the report, with the fix for a problem.
type checkResult struct {
	Verdict verdict
	Name    string
	Detail  string
	Fix     string
}

// verdictNames are the verdicts in --json.
var verdictNames = map[verdict]string{pass: "ok", fail: "fail", advice: "advice"}

// doctorReport is sbx doctor --json.
type doctorReport struct {
	Ready    bool          `json:"ready"`
	Problems int           `json:"problems"`
	Checks   []doctorCheck `json:"checks"`
}

type doctorCheck struct {
	Name    string `json:"name"`
	Verdict string `json:"verdict"`
	Detail  string `json:"detail,omitempty"`
	Fix     string `json:"fix,omitempty"`
}

// reportJSON prints the results as JSON and returns how many failed. A
// fix is shown only for a check that did not pass, as in the text.
func reportJSON(w io.Writer, results []checkResult) (int, error) {
	rep := doctorReport{Checks: []doctorCheck{}}
	for _, r := range results {
		check := doctorCheck{Name: r.Name, Verdict: verdictNames[r.Verdict], Detail: r.Detail}
		if r.Verdict != pass {
			check.Fix = r.Fix
		}
		if r.Verdict == fail {
			rep.Problems++
		}
		rep.Checks = append(rep.Checks, check)
	}
	rep.Ready = rep.Problems == 0
	return rep.Problems, writeJSON(w, rep)
}

// report prints the results and returns how many failed.
func report(w io.Writer, results []checkResult) int {
	failed := 0
	for _, r := range results {
		mark := map[verdict]string{pass: "✓", fail: "✗", advice: "!"}[r.Verdict]
		line := mark + " " + r.Name
		if r.Detail != "" {
			line += ": " + r.Detail
		}
		fmt.Fprintln(w, line)
		if r.Verdict != pass && r.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", r.Fix)
		}
		if r.Verdict == fail {
			failed++
		}
	}
	switch failed {
	case 0:
		fmt.Fprintln(w, "\nThis host is ready for sbx.")
	case 1:
		fmt.Fprintln(w, "\n1 problem: fix it as shown above, then run sbx doctor again.")
	default:
		fmt.Fprintf(w, "\n%d problems: fix them as shown above, then run sbx doctor again.\n", failed)
	}
	return failed
}
