package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

func startCmd() *Command {
	var timeout time.Duration
	return &Command{
		Name: "start", Args: "[NAME]", Group: "Machines", Short: "start a machine",
		Long: `Starts the machine NAME, or the project's machine when no NAME is given, as
the systemd unit systemd-nspawn@NAME.service (what machinectl start does), and
returns when commands can run in it. Starting a running machine does nothing.`,
		Flags: func(fs *flag.FlagSet) {
			fs.DurationVar(&timeout, "timeout", 90*time.Second, "how long to wait for the machine to be ready")
		},
		Run: func(c *Ctx, args []string) error {
			return c.onMachine(args, timeout, c.start)
		},
	}
}

// start starts t's machine if needed and waits until it is ready.
func (c *Ctx) start(ctx context.Context, bus *machine.Bus, t *target) error {
	if t.Meta.State != nspawn.StateReady {
		return WithHint(fmt.Errorf("machine %s is incomplete: its Setup= did not finish", t.Name),
			"fix Setup= in .sandbox and run sbx create in the project")
	}
	if err := c.waitNotBusy(ctx, t.Name); err != nil {
		return err
	}
	unit := machine.NspawnUnit(t.Name)
	journal := fmt.Sprintf("see why: sudo journalctl -u %s -n 50", unit)
	if err := bus.StartUnit(ctx, unit); err != nil {
		return WithHint(err, "%s", journal)
	}
	begin := time.Now()
	if err := waitReady(ctx, bus, t.Name); err != nil {
		st, _ := bus.UnitState(context.Background(), unit) // best effort: for the message
		if st.Active == "failed" || st.Active == "inactive" {
			return WithHint(fmt.Errorf("machine %s failed to start (%s)", t.Name, st.Sub), "%s", journal)
		}
		if ctx.Err() != nil {
			return WithHint(fmt.Errorf("machine %s was not ready after %s", t.Name, round(time.Since(begin))), "%s; or wait longer: --timeout", journal)
		}
		return WithHint(err, "%s", journal)
	}
	return nil
}

// waitReady waits until machined runs the machine and its agent answers
// (the agent answers once the guest's system manager has booted).
func waitReady(ctx context.Context, bus *machine.Bus, name string) error {
	tick := 10 * time.Millisecond
	seen := false
	for {
		m, err := bus.Machine(ctx, name)
		if err != nil {
			return err
		}
		if m != nil && m.State == "running" {
			if err := pingAgent(ctx, agentSocket(name)); err == nil {
				return nil
			}
		}
		st, err := bus.UnitState(ctx, machine.NspawnUnit(name))
		if err != nil {
			return err
		}
		// Right after StartUnit the unit may still be inactive (the job
		// has not run yet): only a unit that got going and stopped, or
		// failed, is a failed start.
		seen = seen || st.Active == "activating" || st.Active == "active"
		if m == nil && (st.Active == "failed" || (st.Active == "inactive" && seen)) {
			return fmt.Errorf("machine %s stopped while starting", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tick):
		}
		if tick < 100*time.Millisecond {
			tick *= 2
		}
	}
}

// agentSocket is the host path of machine name's agent socket.
func agentSocket(name string) string {
	return layout.HostAgentSocket(name)
}

// startTimeout bounds how long run and shell wait for a machine to boot.
const startTimeout = 90 * time.Second
