package cli

import (
	"context"
	"flag"
	"fmt"
	"github.com/sbxdev/sbx/launcher/safetext"
	"text/tabwriter"

	"github.com/sbxdev/sbx/launcher/nspawn"
)

func listCmd() *Command {
	var quiet bool
	return &Command{
		Name: "list", Group: "Machines", Short: "list sbx machines", Aliases: []string{"ls"},
		Long: `Lists the machines sbx made on this host: name, whether each runs, its
distribution and release, and its project directory. machinectl list-images shows
them too, along with machines made by other tools.`,
		Flags: func(fs *flag.FlagSet) { fs.BoolVar(&quiet, "quiet", false, "print only the names") },
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
			ctx := context.Background()
			bus, err := c.connect(ctx)
			if err != nil {
				return err
			}
			defer bus.Close()
			running, err := bus.ListRunning(ctx)
			if err != nil {
				return err
			}
			up := map[string]bool{}
			for _, m := range running {
				up[m.Name] = true
			}
			w := tabwriter.NewWriter(c.IO.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSTATE\tSYSTEM\tPROJECT")
			for _, n := range names {
				meta, err := nspawn.ReadMeta(n)
				if err != nil {
					continue // removed meanwhile
				}
				state := "stopped"
				if up[n] {
					state = "running"
				}
				if meta.State != nspawn.StateReady {
					state += " (" + meta.State + ")"
				}
				fmt.Fprintf(w, "%s\t%s\t%s %s\t%s\n", n, state, meta.Distribution, meta.Release, safetext.Escape(meta.Project))
			}
			if len(names) == 0 {
				fmt.Fprintln(c.IO.Err, "sbx: no machines yet; in a project with a .sandbox: sbx create")
			}
			return w.Flush()
		},
	}
}
