package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
)

// errBusy means a privileged operation on the same machine is running.
var errBusy = machine.ErrUnitExists

// runRoot runs `sbx __root OP ARG` as root in the transient unit `unit`,
// through systemd, so a member of group sbx needs no sudo. input (a spec)
// is its standard input, a pipe; its events come back on another and go
// to show; its log goes to the journal. Ctrl-C (or SIGTERM/SIGHUP) stops
// the unit, whose process then cleans up and reports; runRoot keeps
// reading until it has.
func (c *Ctx) runRoot(ctx context.Context, bus *machine.Bus, unit, op, arg string, show func(builder.Event)) error {
	return c.runRootWith(ctx, bus, unit, op, arg, nil, show)
}

// runRootWith is runRoot with input (when not nil) as the unit's standard
// input: a file the user opened, passed in the StartTransientUnit call.
func (c *Ctx) runRootWith(ctx context.Context, bus *machine.Bus, unit, op, arg string, input *os.File, show func(builder.Event)) error {
	self, err := filepath.EvalSymlinks(c.Self)
	if err != nil {
		return fmt.Errorf("finding the sbx binary: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	t := machine.Transient{
		Unit: unit, Description: "sbx " + op + " " + arg,
		Argv: []string{self, "__root", op, arg}, Output: w, Input: input,
	}
	err = bus.StartTransient(ctx, t)
	w.Close() // systemd holds its own copy now
	if err != nil {
		return err
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		if _, ok := <-sigs; ok {
			fmt.Fprintln(c.IO.Err, "\nsbx: interrupted; stopping and cleaning up…")
			bus.StopUnit(context.Background(), unit) // best effort: the helper also stops if we vanish
		}
	}()

	var last builder.Event
	err = builder.ReadEvents(r, func(e builder.Event) {
		if e.Done || e.Error != "" {
			last = e
		}
		show(e)
	})
	if err != nil {
		return err
	}
	switch {
	case last.Done:
		return nil
	case last.Error != "":
		return &rootError{msg: last.Error, hint: last.Hint, code: last.Code}
	default:
		return WithHint(errors.New("the privileged step ended without a result"),
			"see its log: sudo journalctl -u %s", unit)
	}
}

// rootError is a failure reported by the privileged helper, with its hint
// and the exit status sbx should end with (a failed Setup= command's own,
// for example).
type rootError struct {
	msg, hint string
	code      int
}

func (e *rootError) Error() string { return e.msg }
func (e *rootError) Hint() string  { return e.hint }

// connect opens the system bus with a message fit for users.
func (c *Ctx) connect(ctx context.Context) (*machine.Bus, error) {
	bus, err := machine.Connect(ctx)
	if errors.Is(err, machine.ErrNoSystemd) {
		return nil, WithHint(err, "sbx runs machines with systemd-nspawn and systemd-machined; use a host booted with systemd")
	}
	return bus, err
}

// runRootSpec is runRoot with data (a spec) on the helper's standard
// input, through a pipe: never in argv, where ps and the journal show it.
func (c *Ctx) runRootSpec(ctx context.Context, bus *machine.Bus, unit, op, arg string, data []byte, show func(builder.Event)) error {
	in, inw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer in.Close()
	go func() {
		inw.Write(data) // best effort: a helper that cannot read it says so
		inw.Close()
	}()
	return c.runRootWith(ctx, bus, unit, op, arg, in, show)
}
