package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sbxdev/sbx/launcher/bridge"
	"github.com/sbxdev/sbx/launcher/machine"
)

func loginCmd() *Command {
	return &Command{
		Name: "login", Args: "[NAME]", Group: "Machines", Short: "open the machine's login console",
		Long: `Connects this terminal to a login prompt on the machine's console, like
machinectl login (the machine is started first when needed). Press ^] (Ctrl+])
three times within a second to leave; the session inside stays as it is.

The console asks for a user name and a password, and sbx sets no password for
you inside the machine: set one there first (sbx run --root passwd $USER) or
log in as a user that has one. To just work in the machine, use sbx shell,
which needs no password.`,
		Run: func(c *Ctx, args []string) error {
			t, err := c.resolveTarget(args)
			if err != nil {
				return err
			}
			if !bridge.IsTerminal(c.IO.In) || !bridge.IsTerminal(c.IO.OutFile) {
				return WithHint(errors.New("sbx login needs a terminal"), "to run a command without one: sbx run COMMAND")
			}
			return c.withBus(func(bus *machine.Bus) error { return c.login(bus, t) })
		},
	}
}

// login connects the terminal to t's console, starting t first if needed.
func (c *Ctx) login(bus *machine.Bus, t *target) error {
	m, err := bus.Machine(c.Context(), t.Name)
	if err != nil {
		return err
	}
	if m == nil {
		sc, cancel := c.within(startTimeout)
		err := sc.start(bus, t)
		cancel()
		if err != nil {
			return err
		}
		if m, err = bus.Machine(c.Context(), t.Name); err != nil || m == nil {
			return fmt.Errorf("machine %s stopped right after starting: %v", t.Name, err)
		}
	}
	// Caught before the terminal is raw: their default action would end
	// sbx and leave it so (the terminating ones end ctx, see
	// relayConsole). Not SIGTTIN/SIGTTOU: in the background sbx must stop
	// when it touches the terminal.
	tstp := make(chan os.Signal, 4)
	signal.Notify(tstp, unix.SIGTSTP)
	defer signal.Stop(tstp)
	ctx, stop := c.untilSignal(bridge.Terminating...)
	defer stop()
	master, _, err := bus.OpenLogin(c.Context(), t.Name)
	if err != nil {
		return err
	}
	gone := make(chan struct{})
	go watchGone(ctx, bus, m, gone)

	fmt.Fprintf(c.IO.Err, "Connected to %s. Press ^] three times within 1s to exit.\n", t.Name)
	br, err := bridge.Start(bridge.Options{Master: master, Input: c.IO.In, Output: c.IO.OutFile, Size: c.IO.In, Console: true})
	if err != nil {
		master.Close()
		return fmt.Errorf("connecting the terminal to %s's console: %w", t.Name, err)
	}
	defer br.Close() // on every path, panics included
	machineGone, sig := relayConsole(ctx, br, gone, tstp)
	br.Close()
	switch {
	case sig != 0:
		fmt.Fprintf(c.IO.Err, "\nConnection to %s closed (%s).\n", t.Name, unix.SignalName(sig))
		return &ExitError{Code: 128 + int(sig)}
	case machineGone:
		fmt.Fprintf(c.IO.Err, "\nMachine %s stopped; connection closed.\n", t.Name)
	default:
		fmt.Fprintf(c.IO.Err, "\nConnection to %s closed.\n", t.Name)
	}
	return nil
}

// relayConsole waits until the console ends: the escape or the host
// terminal's end (br.Ended), the machine's end (gone), or the end of ctx
// (a terminating signal, which it returns; see untilSignal). A stop signal
// (tstp) stops sbx alone, as it would ssh: the console inside stays as it is.
func relayConsole(ctx context.Context, br *bridge.Bridge, gone <-chan struct{}, tstp <-chan os.Signal) (machineGone bool, sig syscall.Signal) {
	for {
		select {
		case <-br.Ended():
			return false, 0
		case <-gone:
			return true, 0
		case <-ctx.Done():
			sig, _ := caught(ctx).(syscall.Signal)
			return false, sig
		case <-tstp:
			br.Stop(unix.SIGTSTP)
		}
	}
}

// watchGone closes gone once the machine instance m is no longer running
// (stopped, or rebooted: the console's PTY belonged to the old instance),
// woken by machined's and the unit's signals. It leaves gone open when
// ctx ends first or the bus fails: the console is not the machine.
func watchGone(ctx context.Context, bus machineBus, m *machine.Running, gone chan<- struct{}) {
	defer bridge.RestoreOnPanic()
	_, err := bus.WaitMachine(ctx, m.Name, func(now *machine.Running) bool {
		return now == nil || now.Leader != m.Leader
	})
	if err == nil {
		close(gone)
	}
}
