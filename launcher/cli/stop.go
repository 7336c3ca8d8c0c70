package cli

import (
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
)

func stopCmd() *Command {
	return timedVerb(&Command{
		Name: "stop", Args: "[NAME]", Group: "Machines", Short: "stop a machine",
		Long: `Shuts the machine down cleanly (stops systemd-nspawn@NAME.service, which asks
the machine's systemd to power off) and waits until it is gone. Commands still
running inside are ended. Stopping a stopped machine does nothing.`,
	}, 2*time.Minute, "how long to wait for the machine to stop", func(c *Ctx, bus *machine.Bus, t *target) error {
		return c.stop(bus, t.Name)
	})
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
	return timedVerb(&Command{
		Name: "restart", Args: "[NAME]", Group: "Machines", Short: "stop and start a machine",
		Long: `Stops the machine (if running) and starts it again, waiting until it is ready.`,
	}, 3*time.Minute, "how long to wait in all", func(c *Ctx, bus *machine.Bus, t *target) error {
		if err := c.stop(bus, t.Name); err != nil {
			return err
		}
		return c.start(bus, t)
	})
}
