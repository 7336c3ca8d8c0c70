package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"text/tabwriter"

	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/safetext"
)

func gcCmd() *Command {
	var force, dryRun, all bool
	return &Command{
		Name: "gc", Args: "[--force] [--dry-run] [--all]", Group: "Machines",
		Short: "remove machines whose project directory is gone",
		Long: `Lists your sbx machines whose project directory no longer exists (deleted
or moved) and removes them like sbx rm: stopped, no longer started at boot,
and their root filesystem, settings and runtime directory deleted. On a
terminal it asks first; elsewhere --force is required. A project directory
sbx cannot look at (another user's home) counts as present.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "do not ask for confirmation")
			fs.BoolVar(&dryRun, "dry-run", false, "only list them")
			fs.BoolVar(&all, "all", false, "also other users' machines")
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("gc takes no arguments")
			}
			orphans, err := findOrphans(os.Getuid(), all)
			if err != nil {
				return err
			}
			if len(orphans) == 0 {
				fmt.Fprintln(c.IO.Err, "sbx: no machines without a project directory")
				return nil
			}
			w := tabwriter.NewWriter(c.IO.Out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tPROJECT (gone)")
			for _, o := range orphans {
				fmt.Fprintf(w, "%s\t%s\n", o.Name, safetext.Escape(o.Meta.Project))
			}
			w.Flush() // best effort: stdout
			if dryRun {
				return nil
			}
			if !force {
				if err := c.confirm(fmt.Sprintf("Remove these %d machines and everything inside them?", len(orphans))); err != nil {
					return err
				}
			}
			return c.withBus(func(bus *machine.Bus) error {
				var failed []error
				for _, o := range orphans {
					if err := c.removeMachine(bus, o.Name); err != nil {
						failed = append(failed, fmt.Errorf("removing %s: %w", o.Name, err))
						continue
					}
					fmt.Fprintf(c.IO.Err, "sbx: removed machine %s\n", o.Name)
					c.removeMachineShims(o.Name)
				}
				return errors.Join(failed...)
			})
		},
	}
}

// findOrphans lists the sbx machines (of uid, or everyone's with all)
// whose project directory is gone.
func findOrphans(uid int, all bool) ([]target, error) {
	names, err := nspawn.List()
	if err != nil {
		return nil, fmt.Errorf("listing machines: %w", err)
	}
	var out []target
	for _, n := range names {
		meta, err := nspawn.ReadMeta(n)
		if err != nil || (!all && meta.Owner != uid) {
			continue
		}
		if projectGone(meta.Project) {
			out = append(out, target{Name: n, Meta: meta})
		}
	}
	return out, nil
}

// projectGone reports whether dir is certainly no directory any more.
// Anything else (no permission to look, an I/O error) counts as present:
// removing a machine is not undone.
func projectGone(dir string) bool {
	if dir == "" {
		return false // made by an sbx that did not record it: do not guess
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return true
	case err != nil:
		return false
	}
	return !st.IsDir()
}

// removeMachine is what sbx rm does, and also drops the machine from
// machines.target so a boot does not try to start what is gone.
func (c *Ctx) removeMachine(bus *machine.Bus, name string) error {
	if st, err := bus.UnitFileState(c.Context(), machine.NspawnUnit(name)); err == nil && st == "enabled" {
		if _, err := bus.Disable(c.Context(), name); err != nil {
			return err
		}
	}
	if err := c.stop(bus, name); err != nil {
		return err
	}
	prog := c.newProgress()
	err := c.runRoot(bus, "sbx-rm-"+name+".service", "rm", name, prog.event)
	if errors.Is(err, errBusy) {
		return WithHint(fmt.Errorf("another sbx operation on %s is running", name), "wait for it to finish and try again")
	}
	return err
}
