package cli

import (
	"context"
	"syscall"

	"github.com/sbxdev/sbx/launcher/machine"
)

// machineBus is the part of the system bus that the lifecycle verbs
// (start, stop, restart, poweroff, reboot, terminate, kill) and their waits
// use. *machine.Bus is the real one, tested against real systemd in the
// test host; the verbs' own logic is unit-tested against a fake.
type machineBus interface {
	Machine(ctx context.Context, name string) (*machine.Running, error)
	UnitState(ctx context.Context, unit string) (machine.UnitState, error)
	StartUnit(ctx context.Context, unit string) error
	StopUnit(ctx context.Context, unit string) error
	Terminate(ctx context.Context, name string) error
	Kill(ctx context.Context, name, who string, sig syscall.Signal) error
	Poweroff(ctx context.Context, name string) error
	Reboot(ctx context.Context, name string) error
	Wait(ctx context.Context, w machine.Watch, check func(context.Context) (bool, error)) error
	WaitUnit(ctx context.Context, unit string, done func(machine.UnitState) bool) (machine.UnitState, error)
	WaitMachine(ctx context.Context, name string, done func(*machine.Running) bool) (*machine.Running, error)
}

var _ machineBus = (*machine.Bus)(nil)
