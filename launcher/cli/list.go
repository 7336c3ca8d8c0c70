package cli

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/safetext"
)

func listCmd() *Command {
	var quiet, asJSON bool
	return &Command{
		Name: "list", Args: "[--quiet | --json]", Group: "Machines", Short: "list sbx machines", Aliases: []string{"ls"},
		Long: `Lists the machines sbx made on this host: name, whether each runs, its
distribution and release, and its project directory. machinectl list-images shows
them too, along with machines made by other tools.

--json prints an array with one object per machine, with the same fields: name,
state (running or stopped), setup (ready or incomplete), distribution, release
and project.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&quiet, "quiet", false, "print only the names")
			jsonFlag(fs, &asJSON)
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("list takes no arguments")
			}
			names, err := nspawn.List()
			if err != nil {
				return err
			}
			if quiet {
				for _, n := range names {
					fmt.Fprintln(c.IO.Out, n)
				}
				return nil
			}
			var running []machine.Running
			err = c.withBus(func(bus *machine.Bus) error {
				running, err = bus.ListRunning(c.Context())
				return err
			})
			if err != nil {
				return err
			}
			up := map[string]bool{}
			for _, m := range running {
				up[m.Name] = true
			}
			rows := []listRow{}
			for _, n := range names {
				meta, err := nspawn.ReadMeta(n)
				if err != nil {
					continue // removed meanwhile
				}
				rows = append(rows, newListRow(n, up[n], meta))
			}
			if asJSON {
				return writeJSON(c.IO.Out, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(c.IO.Err, "sbx: no machines yet; in a project with a .sandbox: sbx create")
			}
			return writeList(c.IO.Out, rows)
		},
	}
}

// listRow is one machine of sbx list, as text and as JSON.
type listRow struct {
	Name         string `json:"name"`
	State        string `json:"state"` // running, stopped
	Setup        string `json:"setup"` // ready, incomplete
	Distribution string `json:"distribution"`
	Release      string `json:"release"`
	Project      string `json:"project"`
}

func newListRow(name string, running bool, meta nspawn.Meta) listRow {
	state := "stopped"
	if running {
		state = "running"
	}
	return listRow{Name: name, State: state, Setup: meta.State, Distribution: meta.Distribution, Release: meta.Release, Project: meta.Project}
}

func writeList(w io.Writer, rows []listRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tSYSTEM\tPROJECT")
	for _, r := range rows {
		state := r.State
		if r.Setup != nspawn.StateReady {
			state += " (" + r.Setup + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\n", r.Name, state, r.Distribution, r.Release, safetext.Escape(r.Project))
	}
	return tw.Flush()
}
