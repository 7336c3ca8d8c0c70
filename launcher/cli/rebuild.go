package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

func rebuildCmd() *Command {
	var fresh, force bool
	return &Command{
		Name: "rebuild", Group: "Project", Short: "make the project's machine anew from .sandbox",
		Long: `Makes the project's machine anew from its .sandbox: what cannot change in place
(Distribution=, Release=, Mirror=) and everything else. The new machine is built
beside the old one under a hidden name (from the cached base), with Packages=
and Setup= applied; your home directory inside the old machine is carried over
(--fresh starts with an empty one); the old machine is kept as a snapshot
(sbx snapshots lists it, sbx restore brings it back); then the two are swapped
in one step. The old machine keeps running while the new one is built, and is
stopped only for the swap; a running machine is started again afterwards.

Ctrl-C, a kill or a failure (a package that does not exist, a failing Setup=)
leaves the old machine as it was, and running if it was.

On a terminal it asks first; elsewhere --force is required.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&fresh, "fresh", false, "do not carry the home directory over")
			fs.BoolVar(&force, "force", false, "do not ask for confirmation")
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("rebuild takes no arguments; it rebuilds the machine of the project around the current directory")
			}
			p, _, err := c.currentProject()
			if err != nil {
				return err
			}
			if err := c.requireTrust(p); err != nil {
				return err
			}
			st, err := c.standingOf(p)
			if err != nil {
				return err
			}
			if !st.Exists {
				return WithHint(fmt.Errorf("this project's machine %s has not been created yet", p.Name), "create it: sbx create")
			}
			if !force {
				what := "your home directory inside is carried over"
				if fresh {
					what = "your home directory inside starts empty"
				}
				if err := c.confirm(fmt.Sprintf("Rebuild machine %s from .sandbox (%s; the old one is kept as a snapshot)?", p.Name, what)); err != nil {
					return err
				}
			}
			return c.withBus(func(bus *machine.Bus) error { return c.rebuild(bus, p, fresh) })
		},
	}
}

// rebuild makes p's machine anew and, if it ran, waits until the new one
// (which the helper starts) is ready.
func (c *Ctx) rebuild(bus *machine.Bus, p *project, fresh bool) error {
	op := "rebuild"
	if fresh {
		op = "rebuild-fresh"
	}
	start := time.Now()
	running, _ := bus.Machine(c.Context(), p.Name) // best effort: only to wait for it below
	if err := c.apply(bus, p, op); err != nil {
		return err
	}
	if running != nil {
		meta, err := nspawn.ReadMeta(p.Name)
		if err != nil {
			return err
		}
		sc, cancel := c.within(startTimeout)
		defer cancel()
		if err := sc.start(bus, &target{Name: p.Name, Meta: meta}); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.IO.Err, "sbx: machine %s rebuilt from .sandbox (%s)\n", p.Name, round(time.Since(start)))
	return nil
}
