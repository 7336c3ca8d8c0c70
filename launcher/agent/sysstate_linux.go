package agent

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// systemctlState waits (bounded by ctx) until the guest's boot has finished
// and reports its state. degraded counts as up: a fresh minimal guest is
// often degraded.
func systemctlState(ctx context.Context) (string, error) {
	out, _ := exec.CommandContext(ctx, "systemctl", "is-system-running", "--wait").Output() // non-zero for degraded
	state := strings.TrimSpace(string(out))
	switch {
	case state == "running" || state == "degraded":
		return state, nil
	case ctx.Err() != nil:
		return "starting", fmt.Errorf("the machine did not finish booting in time (state %q); its journal (journalctl -M MACHINE) says why", orDefault(state, "starting"))
	case state == "":
		return "", fmt.Errorf("cannot ask systemd in the machine for its state")
	}
	return state, fmt.Errorf("the machine's system is %s, not running", state)
}
