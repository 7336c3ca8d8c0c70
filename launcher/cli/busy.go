package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/sbxdev/sbx/launcher/builder"
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
			return WithHint(fmt.Errorf("machine %s is marked busy by an sbx %s that was killed", name, op),
				"run sbx %s again, or clear the mark: sudo rm %s", op, filepath.Join(builder.BusyDir, name))
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
