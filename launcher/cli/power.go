package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
	"golang.org/x/sys/unix"
)

// The power verbs talk to machined the way machinectl does: poweroff and
// reboot signal the machine's init, terminate and kill act on its
// processes. Unlike stop they also work on machines started by hand.

func poweroffCmd() *Command {
	return timedVerb(&Command{
		Name: "poweroff", Args: "[NAME]", Group: "Machines", Short: "shut a machine down cleanly from inside",
		Long: `Asks the machine's own systemd to power off (SIGRTMIN+4 to its init, as
machinectl poweroff does) and waits until the machine is gone. Services inside
stop in order; commands still running are ended. Powering off a stopped machine
does nothing. Like sbx stop, but it also works for a machine started by hand.`,
	}, 2*time.Minute, "how long to wait for the machine to go", whenRunning(false, poweroff))
}

func rebootCmd() *Command {
	return timedVerb(&Command{
		Name: "reboot", Args: "[NAME]", Group: "Machines", Short: "reboot a machine",
		Long: `Asks the machine's own systemd to reboot (SIGINT to its init, as machinectl
reboot does) and waits until it is back and commands can run in it. Commands
running inside are ended.`,
	}, 3*time.Minute, "how long to wait for the machine to be back", whenRunning(true, reboot))
}

func terminateCmd() *Command {
	return timedVerb(&Command{
		Name: "terminate", Args: "[NAME]", Group: "Machines", Short: "end a machine at once, without shutting down",
		Long: `Kills every process of the machine at once (machined's TerminateMachine, as
machinectl terminate does): nothing inside gets to shut down cleanly. For a
machine that does not react to sbx stop or sbx poweroff. Terminating a stopped
machine does nothing.`,
	}, time.Minute, "how long to wait for the machine to go", whenRunning(false, terminate))
}

func killCmd() *Command {
	var sigName, whom string
	return &Command{
		Name: "kill", Args: "[--signal SIG] [--whom all|leader] [NAME]", Group: "Machines",
		Short: "send a signal to a machine's processes",
		Long: `Sends a signal to the processes of the machine (machined's KillMachine, as
machinectl kill does): to all of them, or with --whom leader only to its init.
SIG is a name (TERM, SIGKILL, RTMIN+4) or a number. It does not wait.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&sigName, "signal", "SIGTERM", "the `SIG`nal to send")
			fs.StringVar(&whom, "whom", "all", "all: every process of the machine; leader: only its init")
		},
		Run: func(c *Ctx, args []string) error {
			sig, err := parseSignal(sigName)
			if err != nil {
				return Usagef("%v", err)
			}
			if whom != "all" && whom != "leader" {
				return Usagef("--whom is all or leader, not %q", whom)
			}
			return c.onMachine(args, 30*time.Second, whenRunning(true, func(ctx context.Context, bus machineBus, t *target, m *machine.Running) error {
				return bus.Kill(ctx, t.Name, whom, sig)
			}))
		},
	}
}

// whenRunning is a power verb for onMachine: do, with the running machine.
func whenRunning(mustRun bool, do func(context.Context, machineBus, *target, *machine.Running) error) func(*Ctx, *machine.Bus, *target) error {
	return func(c *Ctx, bus *machine.Bus, t *target) error { return c.ifRunning(bus, t, mustRun, do) }
}

// ifRunning calls do (with c's context) when t's machine runs. A stopped
// machine is an error when mustRun is set, and otherwise a note: there is
// nothing to do.
func (c *Ctx) ifRunning(bus machineBus, t *target, mustRun bool,
	do func(context.Context, machineBus, *target, *machine.Running) error) error {
	ctx := c.Context()
	m, err := bus.Machine(ctx, t.Name)
	if err != nil {
		return err
	}
	if m == nil {
		if mustRun {
			return WithHint(fmt.Errorf("machine %s is not running", t.Name), "start it: sbx start %s", t.Name)
		}
		fmt.Fprintf(c.IO.Err, "sbx: machine %s is not running\n", t.Name)
		return nil
	}
	return do(ctx, bus, t, m)
}

// poweroff, reboot and terminate are the power verbs once the machine is
// known to run.
func poweroff(ctx context.Context, bus machineBus, t *target, _ *machine.Running) error {
	if err := bus.Poweroff(ctx, t.Name); err != nil {
		return err
	}
	return waitDown(ctx, bus, t.Name, "sbx terminate "+t.Name)
}

func reboot(ctx context.Context, bus machineBus, t *target, m *machine.Running) error {
	if err := bus.Reboot(ctx, t.Name); err != nil {
		return err
	}
	return waitRebooted(ctx, bus, t.Name, m)
}

func terminate(ctx context.Context, bus machineBus, t *target, _ *machine.Running) error {
	if err := bus.Terminate(ctx, t.Name); err != nil {
		return err
	}
	return waitDown(ctx, bus, t.Name, "")
}

// waitDown waits until the machine's unit has stopped and machined has
// let the machine go. force names the next step when that takes too long.
func waitDown(ctx context.Context, bus machineBus, name, force string) error {
	_, err := bus.WaitUnit(ctx, machine.NspawnUnit(name), machine.UnitState.Down)
	if err == nil {
		_, err = bus.WaitMachine(ctx, name, func(m *machine.Running) bool { return m == nil })
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) && force != "" {
		return WithHint(fmt.Errorf("machine %s did not shut down in time", name), "end it at once: %s", force)
	}
	return err
}

// waitRebooted waits until a new instance of the machine (not before) is
// registered and its agent answers.
func waitRebooted(ctx context.Context, bus machineBus, name string, before *machine.Running) error {
	journal := fmt.Sprintf("see why: sudo journalctl -u %s -n 50", machine.NspawnUnit(name))
	_, err := bus.WaitMachine(ctx, name, func(m *machine.Running) bool {
		return m != nil && (m.Leader != before.Leader || m.Since != before.Since)
	})
	if ctx.Err() != nil {
		return WithHint(fmt.Errorf("machine %s did not reboot in time", name), "%s", journal)
	}
	if err != nil {
		return err
	}
	if err := waitReady(ctx, bus, name); err != nil {
		return WithHint(fmt.Errorf("machine %s did not come back: %w", name, err), "%s", journal)
	}
	return nil
}

// parseSignal reads TERM, SIGTERM, sigterm, 15, RTMIN+4 or SIGRTMIN+4.
func parseSignal(s string) (syscall.Signal, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	if n, err := strconv.Atoi(name); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("no signal number %d", n)
		}
		return syscall.Signal(n), nil
	}
	name = strings.TrimPrefix(name, "SIG")
	if rest, ok := strings.CutPrefix(name, "RTMIN"); ok {
		off := 0
		if rest != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(rest, "+"))
			if err != nil || !strings.HasPrefix(rest, "+") || n < 0 || int(machine.SigRTMin)+n > 64 {
				return 0, fmt.Errorf("unknown signal %q", s)
			}
			off = n
		}
		return machine.SigRTMin + syscall.Signal(off), nil
	}
	if sig := unix.SignalNum("SIG" + name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q (try TERM, KILL, INT, HUP or a number)", s)
}
