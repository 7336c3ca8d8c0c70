package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sbxdev/sbx/launcher/bridge"
	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/safetext"
)

func rmCmd() *Command {
	var force bool
	return &Command{
		Name: "rm", Args: "[NAME]", Group: "Machines", Short: "remove a machine and its files",
		Long: `Removes the machine NAME (or the project's machine): stops it if it runs, then
deletes its root filesystem in /var/lib/machines, its .nspawn settings and its
runtime directory. The project directory and other bound paths are not touched.
On a terminal it asks first; elsewhere --force is required.`,
		Flags:   func(fs *flag.FlagSet) { fs.BoolVar(&force, "force", false, "do not ask for confirmation") },
		Aliases: []string{"remove"},
		Run: func(c *Ctx, args []string) error {
			t, err := c.resolveTarget(args)
			if err != nil {
				return err
			}
			if !force {
				if err := c.confirm(fmt.Sprintf("Remove machine %s (project %s) and everything inside it?", t.Name, safetext.Escape(t.Meta.Project))); err != nil {
					return err
				}
			}
			if err := c.withBus(func(bus *machine.Bus) error { return c.removeMachine(bus, t.Name) }); err != nil {
				return err
			}
			fmt.Fprintf(c.IO.Err, "sbx: removed machine %s\n", t.Name)
			c.removeMachineShims(t.Name)
			if snaps, _ := builder.ListSnapshots(t.Name); len(snaps) > 0 { // best effort: a note
				fmt.Fprintf(c.IO.Err, "sbx: its %d snapshot(s) are kept in %s (sbx snapshots %s; sbx snapshot rm %s SNAP)\n",
					len(snaps), builder.SnapshotDir(t.Name), t.Name, t.Name)
			}
			return nil
		},
	}
}

// confirm asks a yes/no question on the terminal; without one it refuses.
func (c *Ctx) confirm(question string) error {
	if !bridge.IsTerminal(c.IO.In) {
		return WithHint(errors.New("not asking for confirmation without a terminal"), "add --force to go ahead")
	}
	fmt.Fprintf(c.IO.Err, "%s [y/N] ", question)
	answer, _ := bufio.NewReader(c.IO.In).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return &ExitError{Code: 1}
	}
	return nil
}
