package cli

import (
	"flag"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
)

func stopCmd() *Command {
	var timeout time.Duration
	return &Command{
		Name: "stop", Args: "[NAME]", Group: "Machines", Short: "stop a machine",
		Long: `Shuts the machine down cleanly (stops systemd-nspawn@NAME.service, which asks
the machine's systemd to power off) and waits until it is gone. Commands still
running inside are ended. Stopping a stopped machine does nothing.`,
		Flags: func(fs *flag.FlagSet) {
			fs.DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the machine to stop")
		},
		Run: func(c *Ctx, args []string) error {
			return c.onMachine(args, timeout, func(c *Ctx, bus *machine.Bus, t *target) error {
				return c.stop(bus, t.Name)
			})
		},
	}
}

// stop stops machine name and waits until machined has let it go.
func (c *Ctx) stop(bus machineBus, name string) error {
	ctx := c.Context()
	unit := machine.NspawnUnit(name)
	m, err := bus.Machine(ctx, name)
	if err != nil {
		return err
	}
	if m != nil && m.Unit != "" && m.Unit != unit {
		// Started some other way (systemd-nspawn by hand): end it directly.
		if err := bus.Terminate(ctx, name); err != nil {
			return err
		}
	} else if err := bus.StopUnit(ctx, unit); err != nil {
		return err
	}
	return waitDown(ctx, bus, name, "sbx terminate "+name)
}

func restartCmd() *Command {
	var timeout time.Duration
	return &Command{
		Name: "restart", Args: "[NAME]", Group: "Machines", Short: "stop and start a machine",
		Long:  `Stops the machine (if running) and starts it again, waiting until it is ready.`,
		Flags: func(fs *flag.FlagSet) { fs.DurationVar(&timeout, "timeout", 3*time.Minute, "how long to wait in all") },
		Run: func(c *Ctx, args []string) error {
			return c.onMachine(args, timeout, func(c *Ctx, bus *machine.Bus, t *target) error {
				if err := c.stop(bus, t.Name); err != nil {
					return err
				}
				return c.start(bus, t)
			})
		},
	}
}
