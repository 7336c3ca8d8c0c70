package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

func createCmd() *Command {
	return &Command{
		Name: "create", Group: "Project", Short: "build the project's machine",
		Long: `Builds the Debian (or Ubuntu) machine that the project's .sandbox describes,
the way you would by hand with systemd-nspawn: a root filesystem from the mirror (debootstrap or
mmdebstrap; a cached base is copied when one exists), /etc/systemd/nspawn/NAME.nspawn
with the project bound at the same path, your user with the same name, UID and GID
inside, then the Setup= commands. Progress is shown; Ctrl-C stops and cleans up.

The machine appears under its name only when it is complete. If a Setup= command
fails the machine is kept and marked incomplete: fix .sandbox and run create again
to re-run Setup=. On an existing machine, create applies what changed in
.sandbox, as sbx run does (see 'sbx help sandbox' for when each change takes
effect).

The .sandbox must be trusted first (sbx allow). Two creates of one project at once
make one machine: the second waits for the first.`,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("create takes no arguments; it builds the machine of the project around the current directory")
			}
			p, _, err := c.currentProject()
			if err != nil {
				return err
			}
			if err := c.requireTrust(p); err != nil {
				return err
			}
			return c.withBus(func(bus *machine.Bus) error { return c.create(bus, p) })
		},
	}
}

// create builds p's machine (or brings it in line with its .sandbox),
// showing progress, or waits for a create of it that is already running.
func (c *Ctx) create(bus *machine.Bus, p *project) error {
	start := time.Now()
	err := c.apply(bus, p, "create")
	if errors.Is(err, errBusy) {
		err = c.waitOtherCreate(bus, "sbx-create-"+p.Name+".service", p.Name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.IO.Err, "sbx: machine %s is ready (%s). Next: sbx run COMMAND, or sbx shell\n", p.Name, round(time.Since(start)))
	return nil
}

// waitOtherCreate waits for a create started elsewhere and takes its result.
func (c *Ctx) waitOtherCreate(bus *machine.Bus, unit, name string) error {
	fmt.Fprintf(c.IO.Err, "sbx: another sbx create of %s is running; waiting for it\n", name)
	if _, err := bus.WaitUnit(c.Context(), unit, func(st machine.UnitState) bool {
		return st.Active == "inactive" || st.Active == "failed" || !st.Loaded
	}); err != nil {
		return err
	}
	meta, err := nspawn.ReadMeta(name)
	if err != nil || meta.State != nspawn.StateReady {
		return WithHint(fmt.Errorf("the other create of %s did not finish", name), "run sbx create again to see why")
	}
	return nil
}
