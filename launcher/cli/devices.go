package cli

import (
	"fmt"
	"os"

	"github.com/sbxdev/sbx/launcher/contract"
)

// checkDevices refuses a Device= the host does not have as a device node
// (the machine would not start), and says when GPU=yes finds no GPU: the
// machine then runs without one.
func (c *Ctx) checkDevices(p *project) error {
	h := p.File.Host
	for _, d := range h.Devices {
		st, err := os.Stat(d)
		if err != nil {
			return WithHint(fmt.Errorf("%s: Device=%s: %w", p.File.Path, d, err), "remove that line, or load the driver that makes %s", d)
		}
		if st.Mode()&os.ModeDevice == 0 {
			return WithHint(fmt.Errorf("%s: Device=%s is not a device node", p.File.Path, d), "name a device node, e.g. Device=/dev/fuse; directories go in Bind=")
		}
	}
	if h.GPU && len(contract.GPUDevices()) == 0 {
		fmt.Fprintf(c.IO.Err, "sbx: GPU=yes, but this host has no GPU device (/dev/dri, /dev/nvidia*); machine %s runs without one\n", p.Name)
	}
	return nil
}
