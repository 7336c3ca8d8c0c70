package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
)

// The privileged operations on a machine's tree (snapshot, restore,
// export) run with the machine powered off and start it again after.

// privileged runs `sbx __root op arg` for machine t with the machine
// powered off (saying why), and starts it again if it was running.
func (c *Ctx) privileged(t *target, op, arg, why string) error {
	return c.privilegedWith(t, op, arg, why, nil)
}

// privilegedWith is privileged with input passed as the unit's stdin.
func (c *Ctx) privilegedWith(t *target, op, arg, why string, input *os.File) error {
	return c.withBus(func(bus *machine.Bus) error {
		return c.whileOff(bus, t, why, func() error {
			return c.runRootOnWith(bus, t.Name, op, arg, input, c.newProgress().event)
		})
	})
}

// whileOff runs fn with machine t powered off and, if it was running,
// starts it again afterwards (also after a failure: the machine is then
// as it was).
func (c *Ctx) whileOff(bus *machine.Bus, t *target, why string, fn func() error) error {
	m, err := bus.Machine(c.Context(), t.Name)
	if err != nil {
		return err
	}
	running := m != nil
	if running {
		fmt.Fprintf(c.IO.Err, "sbx: powering %s off first: %s\n", t.Name, why)
		sc, cancel := c.within(2 * time.Minute)
		err := sc.stop(bus, t.Name)
		cancel()
		if err != nil {
			return err
		}
	}
	err = fn()
	if running {
		fmt.Fprintf(c.IO.Err, "sbx: starting %s again\n", t.Name)
		// Also after Ctrl-C: the machine is then as it was.
		sc, cancel := c.withContext(context.WithoutCancel(c.Context())).within(startTimeout)
		defer cancel()
		if serr := sc.start(bus, t); serr != nil {
			if err == nil {
				return serr
			}
			fmt.Fprintf(c.IO.Err, "sbx: %s did not start again: %v\n", t.Name, serr)
		}
	}
	return err
}
