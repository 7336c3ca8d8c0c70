package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
)

func enableCmd() *Command {
	var now bool
	return &Command{
		Name: "enable", Args: "[--now] [NAME]", Group: "Machines", Short: "start a machine when the host boots",
		Long: `Makes the machine start at boot the way machinectl enable does: its unit
systemd-nspawn@NAME.service is enabled in machines.target, and machines.target
in multi-user.target. With --now it is also started. Check with:
systemctl is-enabled systemd-nspawn@NAME.service`,
		Flags: func(fs *flag.FlagSet) { fs.BoolVar(&now, "now", false, "also start it now") },
		Run: func(c *Ctx, args []string) error {
			return c.setEnabled(args, true, now)
		},
	}
}

func disableCmd() *Command {
	var now bool
	return &Command{
		Name: "disable", Args: "[--now] [NAME]", Group: "Machines", Short: "no longer start a machine at boot",
		Long: `Undoes sbx enable: the machine's unit no longer starts with machines.target.
A running machine keeps running unless --now is given, which also stops it.`,
		Flags: func(fs *flag.FlagSet) { fs.BoolVar(&now, "now", false, "also stop it now") },
		Run: func(c *Ctx, args []string) error {
			return c.setEnabled(args, false, now)
		},
	}
}

func (c *Ctx) setEnabled(args []string, enable, now bool) error {
	return c.onMachine(args, 3*time.Minute, func(c *Ctx, bus *machine.Bus, t *target) error {
		return c.enable(bus, t, enable, now)
	})
}

// enable enables (or disables) t's machine at boot, and with now starts
// (or stops) it too.
func (c *Ctx) enable(bus *machine.Bus, t *target, enable, now bool) error {
	ctx := c.Context()
	var changes []machine.UnitFileChange
	var err error
	if enable {
		changes, err = bus.Enable(ctx, t.Name)
	} else {
		changes, err = bus.Disable(ctx, t.Name)
	}
	if err != nil {
		return err
	}
	// What systemctl says, so a user sees the links that were made.
	for _, ch := range changes {
		switch ch.Type {
		case "symlink":
			fmt.Fprintf(c.IO.Err, "Created symlink %s → %s.\n", ch.Filename, ch.Destination)
		case "unlink":
			fmt.Fprintf(c.IO.Err, "Removed %q.\n", ch.Filename)
		}
	}
	switch {
	case !now:
		return nil
	case enable:
		return c.start(bus, t)
	default:
		return c.stop(bus, t.Name)
	}
}
