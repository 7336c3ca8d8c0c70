package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
)

// errBusy means a privileged operation on the same machine is running.
var errBusy = machine.ErrUnitExists

// runRoot runs `sbx __root OP ARG` as root in the transient unit `unit`,
// through systemd, so a member of group sbx needs no sudo. input (a spec)
// is its standard input, a pipe; its events come back on another and go
// to show; its log goes to the journal. Ctrl-C (or SIGTERM/SIGHUP), or
// the end of c's context, stops the unit, whose process then cleans up
// and reports; runRoot keeps reading until it has.
func (c *Ctx) runRoot(bus *machine.Bus, unit, op, arg string, show func(builder.Event)) error {
	return c.runRootWith(bus, unit, op, arg, nil, show)
}

// runRootWith is runRoot with input (when not nil) as the unit's standard
// input: a file the user opened, passed in the StartTransientUnit call.
func (c *Ctx) runRootWith(bus *machine.Bus, unit, op, arg string, input *os.File, show func(builder.Event)) error {
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
	err = bus.StartTransient(c.Context(), t)
	w.Close() // systemd holds its own copy now
	if err != nil {
		return err
	}

	ctx, stop := c.untilSignal(interruptSignals...)
	read := make(chan struct{}) // closed once the helper has reported
	defer stop()
	defer close(read)
	go func() {
		select {
		case <-read:
			return
		case <-ctx.Done():
		}
		select {
		case <-read:
			return // the helper had finished: nothing to stop
		default:
		}
		fmt.Fprintln(c.IO.Err, "\nsbx: interrupted; stopping and cleaning up…")
		bus.StopUnit(context.WithoutCancel(ctx), unit) // best effort: the helper also stops if we vanish
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

// withBus connects to the system bus (with a message fit for users when
// it cannot), calls fn and closes the connection.
func (c *Ctx) withBus(fn func(bus *machine.Bus) error) error {
	bus, err := machine.Connect(c.Context())
	if errors.Is(err, machine.ErrNoSystemd) {
		return WithHint(err, "sbx runs machines with systemd-nspawn and systemd-machined; use a host booted with systemd")
	}
	if err != nil {
		return err
	}
	defer bus.Close()
	return fn(bus)
}

// runRootSpec is runRoot with data (a spec) on the helper's standard
// input, through a pipe: never in argv, where ps and the journal show it.
func (c *Ctx) runRootSpec(bus *machine.Bus, unit, op, arg string, data []byte, show func(builder.Event)) error {
	in, inw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer in.Close()
	go func() {
		inw.Write(data) // best effort: a helper that cannot read it says so
		inw.Close()
	}()
	return c.runRootWith(bus, unit, op, arg, in, show)
}

// runRootOn runs a privileged operation on machine name in the unit
// sbx-OP-NAME.service, so two of the same kind never run at once.
func (c *Ctx) runRootOn(bus *machine.Bus, name, op, arg string, show func(builder.Event)) error {
	return c.runRootOnWith(bus, name, op, arg, nil, show)
}

// runRootOnWith is runRootOn with input passed as the unit's stdin.
func (c *Ctx) runRootOnWith(bus *machine.Bus, name, op, arg string, input *os.File, show func(builder.Event)) error {
	err := c.runRootWith(bus, "sbx-"+op+"-"+name+".service", op, arg, input, show)
	if errors.Is(err, errBusy) {
		return WithHint(fmt.Errorf("another sbx %s of %s is running", op, name), "wait for it to finish and try again")
	}
	return err
}
