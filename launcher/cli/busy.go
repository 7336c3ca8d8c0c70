package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
)

// waitNotBusy waits while a privileged operation (restore, rm, export,
// snapshot) owns machine name's tree: systemd refuses to start it then
// (see builder.lockBusy), so starting would only seem to work.
func (c *Ctx) waitNotBusy(name string) error {
	said := false
	for {
		op, stale := builder.Busy(name)
		switch {
		case op == "":
			return nil
		case stale:
			if err := c.clearStaleBusy(name); err != nil {
				return WithHint(fmt.Errorf("machine %s is marked busy by an sbx %s that was killed, and clearing the mark failed: %w", name, op, err),
					"run sbx %s again, or clear the mark: sudo rm %s", op, filepath.Join(builder.BusyDir, name))
			}
			fmt.Fprintf(c.IO.Err, "sbx: cleared the busy mark a killed sbx %s left on %s\n", op, name)
			continue
		case !said:
			fmt.Fprintf(c.IO.Err, "sbx: waiting for sbx %s of %s to finish before starting it\n", op, name)
			said = true
		}
		select {
		case <-c.Context().Done():
			return WithHint(fmt.Errorf("machine %s is still busy (sbx %s)", name, op), "wait for it to finish and start it again")
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// clearStaleBusy has the privileged helper remove the mark a killed
// operation left on name (it checks again, under the machine's lock).
func (c *Ctx) clearStaleBusy(name string) error {
	return c.withBus(func(bus *machine.Bus) error {
		unit := fmt.Sprintf("sbx-unbusy-%s-%d.service", name, time.Now().UnixNano())
		return c.runRoot(bus, unit, "unbusy", name, func(builder.Event) {})
	})
}
