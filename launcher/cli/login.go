package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/term"

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
			if c.IO.In == nil || c.IO.OutFile == nil || !term.IsTerminal(int(c.IO.In.Fd())) || !term.IsTerminal(int(c.IO.OutFile.Fd())) {
				return WithHint(errors.New("sbx login needs a terminal"), "to run a command without one: sbx run COMMAND")
			}
			ctx := context.Background()
			bus, err := c.connect(ctx)
			if err != nil {
				return err
			}
			defer bus.Close()
			m, err := bus.Machine(ctx, t.Name)
			if err != nil {
				return err
			}
			if m == nil {
				sctx, cancel := context.WithTimeout(ctx, startTimeout)
				err := c.start(sctx, bus, t)
				cancel()
				if err != nil {
					return err
				}
				if m, err = bus.Machine(ctx, t.Name); err != nil || m == nil {
					return fmt.Errorf("machine %s stopped right after starting: %v", t.Name, err)
				}
			}
			master, _, err := bus.OpenLogin(ctx, t.Name)
			if err != nil {
				return err
			}
			gone := make(chan struct{})
			watchCtx, stopWatch := context.WithCancel(ctx)
			defer stopWatch()
			go watchGone(watchCtx, bus, m, gone)

			fmt.Fprintf(c.IO.Err, "Connected to %s. Press ^] three times within 1s to exit.\n", t.Name)
			end, err := runConsole(consoleOptions{Master: master, In: c.IO.In, Out: c.IO.OutFile, Gone: gone})
			if err != nil {
				return fmt.Errorf("connecting the terminal to %s's console: %w", t.Name, err)
			}
			switch end {
			case endGone:
				fmt.Fprintf(c.IO.Err, "\nMachine %s stopped; connection closed.\n", t.Name)
			default:
				fmt.Fprintf(c.IO.Err, "\nConnection to %s closed.\n", t.Name)
			}
			return nil
		},
	}
}

// watchGone closes gone once the machine instance m is no longer running
// (stopped, or rebooted: the console's PTY belonged to the old instance).
func watchGone(ctx context.Context, bus *machine.Bus, m *machine.Running, gone chan<- struct{}) {
	defer close(gone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		now, err := bus.Machine(ctx, m.Name)
		if ctx.Err() != nil {
			return
		}
		if err == nil && (now == nil || now.Leader != m.Leader) {
			return
		}
	}
}
