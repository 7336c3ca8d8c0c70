package agent

import (
	"context"
	"fmt"

	"github.com/sbxdev/sbx/launcher/machine"
)

// guestState waits (bounded by ctx) until the guest's boot has finished
// and reports its state, asking the guest's systemd over its private
// D-Bus socket as systemctl is-system-running --wait would. degraded
// counts as up: a fresh minimal guest is often degraded.
func guestState(ctx context.Context) (string, error) {
	bus, err := machine.ConnectManager(ctx)
	if err != nil {
		return "", fmt.Errorf("cannot ask systemd in the machine for its state: %w", err)
	}
	defer bus.Close()
	state, err := bus.WaitBooted(ctx)
	switch {
	case ctx.Err() != nil:
		return "starting", fmt.Errorf("the machine did not finish booting in time (state %q); its journal (journalctl -M MACHINE) says why", orDefault(state, "starting"))
	case err != nil:
		return "", fmt.Errorf("cannot ask systemd in the machine for its state: %w", err)
	case state == "running" || state == "degraded":
		return state, nil
	}
	return state, fmt.Errorf("the machine's system is %s, not running", state)
}
