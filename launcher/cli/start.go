package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

func startCmd() *Command {
	return timedVerb(&Command{
		Name: "start", Args: "[NAME]", Group: "Machines", Short: "start a machine",
		Long: `Starts the machine NAME, or the project's machine when no NAME is given, as
the systemd unit systemd-nspawn@NAME.service (what machinectl start does), and
returns when commands can run in it. Starting a running machine does nothing.`,
	}, 90*time.Second, "how long to wait for the machine to be ready", func(c *Ctx, bus *machine.Bus, t *target) error {
		return c.start(bus, t)
	})
}

// timedVerb completes cmd, a verb on one machine (NAME or the project's),
// with a --timeout flag (default d; help: what) that bounds run.
func timedVerb(cmd *Command, d time.Duration, what string, run func(c *Ctx, bus *machine.Bus, t *target) error) *Command {
	var timeout time.Duration
	cmd.Flags = func(fs *flag.FlagSet) { fs.DurationVar(&timeout, "timeout", d, what) }
	cmd.Run = func(c *Ctx, args []string) error { return c.onMachine(args, timeout, run) }
	return cmd
}

// start starts t's machine if needed and waits until it is ready.
func (c *Ctx) start(bus machineBus, t *target) error {
	ctx := c.Context()
	if t.Meta.State != nspawn.StateReady {
		return WithHint(fmt.Errorf("machine %s is incomplete: its Setup= did not finish", t.Name),
			"fix Setup= in .sandbox and run sbx create in the project")
	}
	if err := c.waitNotBusy(t.Name); err != nil {
		return err
	}
	unit := machine.NspawnUnit(t.Name)
	journal := fmt.Sprintf("see why: sudo journalctl -u %s -n 50", unit)
	begin := time.Now()
	err := bus.StartUnit(ctx, unit)
	if err == nil {
		err = waitReady(ctx, bus, t.Name)
	}
	if err == nil {
		return nil
	}
	var job *machine.JobError
	if errors.As(err, &job) || errors.Is(err, errStoppedWhileStarting) {
		st, _ := bus.UnitState(context.WithoutCancel(ctx), unit) // best effort: for the message
		state := st.Sub
		if state == "" {
			state = st.Active
		}
		return WithHint(fmt.Errorf("machine %s failed to start (%s)", t.Name, state), "%s", journal)
	}
	if ctx.Err() != nil {
		why := ""
		var nr *notReadyError
		if errors.As(err, &nr) {
			why = fmt.Sprintf(" (its agent: %v)", nr.agent)
		}
		return WithHint(fmt.Errorf("machine %s was not ready after %s%s", t.Name, round(time.Since(begin)), why), "%s; or wait longer: --timeout", journal)
	}
	return WithHint(err, "%s", journal)
}

var errStoppedWhileStarting = errors.New("the machine stopped while starting")

// agentRetry is how often waitReady tries the agent's socket again: it is
// the one thing the wait cannot be told about by a signal (the guest's
// systemd makes the socket while it boots).
const agentRetry = 25 * time.Millisecond

// waitReady waits until machined runs the machine and its agent answers
// (the agent answers once the guest's system manager has booted). It is
// woken by the machine's unit and machined signals, and tries the agent
// every agentRetry once the machine runs.
func waitReady(ctx context.Context, bus machineBus, name string) error {
	unit := machine.NspawnUnit(name)
	var agentErr error
	err := bus.Wait(ctx, machine.Watch{Unit: unit, Machine: true, Every: agentRetry}, func(ctx context.Context) (bool, error) {
		m, err := bus.Machine(ctx, name)
		if err != nil {
			return false, err
		}
		if m != nil && m.State == "running" {
			agentErr = pingAgent(ctx, agentSocket(name))
			return agentErr == nil, nil
		}
		if m != nil {
			return false, nil
		}
		st, err := bus.UnitState(ctx, unit)
		if err != nil {
			return false, err
		}
		if st.Down() {
			return false, fmt.Errorf("machine %s: %w", name, errStoppedWhileStarting)
		}
		return false, nil
	})
	if err != nil && agentErr != nil {
		return &notReadyError{err: err, agent: agentErr}
	}
	return err
}

// notReadyError is a wait for the agent that ended while the machine ran:
// what the agent last said is the best clue.
type notReadyError struct{ err, agent error }

func (e *notReadyError) Error() string { return fmt.Sprintf("%v (its agent: %v)", e.err, e.agent) }
func (e *notReadyError) Unwrap() error { return e.err }

// agentSocket is the host path of machine name's agent socket.
func agentSocket(name string) string {
	return layout.HostAgentSocket(name)
}

// startTimeout bounds how long run and shell wait for a machine to boot.
const startTimeout = 90 * time.Second
