package cli

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/sbxdev/sbx/launcher/machine"
)

// fakeBus is a scripted machineBus: machines and units as machined and
// systemd would report them, the calls the CLI made, and events that
// happen one per wake-up of a wait (what systemd and machined do while the
// CLI waits). When no event is left a wait blocks until its ctx ends, as a
// real one would.
type fakeBus struct {
	machines map[string]*machine.Running
	units    map[string]machine.UnitState
	agentUp  map[string]bool // the agent answers a ping
	calls    []string
	events   []func(*fakeBus)

	startResult string          // a start job's result other than done
	onStart     func(*fakeBus)  // what the start job did (before it is done)
	onStop      func(*fakeBus)  // what the stop job did
	onKill      func(*fakeBus)  // what a signal did
	onTerminate func(*fakeBus)  // what TerminateMachine did
	waits       []machine.Watch // the watches of the waits
}

func newFakeBus() *fakeBus {
	return &fakeBus{machines: map[string]*machine.Running{}, units: map[string]machine.UnitState{}, agentUp: map[string]bool{}}
}

func (f *fakeBus) call(format string, a ...any) { f.calls = append(f.calls, fmt.Sprintf(format, a...)) }

func (f *fakeBus) run(effect func(*fakeBus)) {
	if effect != nil {
		effect(f)
	}
}

func (f *fakeBus) Machine(ctx context.Context, name string) (*machine.Running, error) {
	if m := f.machines[name]; m != nil {
		c := *m
		return &c, nil
	}
	return nil, nil
}

func (f *fakeBus) UnitState(ctx context.Context, unit string) (machine.UnitState, error) {
	if st, ok := f.units[unit]; ok {
		return st, nil
	}
	return machine.UnitState{Active: "inactive"}, nil
}

func (f *fakeBus) StartUnit(ctx context.Context, unit string) error {
	f.call("StartUnit %s", unit)
	f.run(f.onStart)
	if f.startResult != "" {
		return &machine.JobError{Unit: unit, Verb: "start", Result: f.startResult}
	}
	return nil
}

func (f *fakeBus) StopUnit(ctx context.Context, unit string) error {
	f.call("StopUnit %s", unit)
	f.run(f.onStop)
	return nil
}

func (f *fakeBus) Terminate(ctx context.Context, name string) error {
	f.call("Terminate %s", name)
	f.run(f.onTerminate)
	return nil
}

func (f *fakeBus) Kill(ctx context.Context, name, who string, sig syscall.Signal) error {
	f.call("Kill %s %s %d", name, who, sig)
	f.run(f.onKill)
	return nil
}

func (f *fakeBus) Poweroff(ctx context.Context, name string) error {
	return f.Kill(ctx, name, "leader", machine.SignalPoweroff)
}

func (f *fakeBus) Reboot(ctx context.Context, name string) error {
	return f.Kill(ctx, name, "leader", machine.SignalReboot)
}

func (f *fakeBus) Wait(ctx context.Context, w machine.Watch, check func(context.Context) (bool, error)) error {
	f.waits = append(f.waits, w)
	for {
		if done, err := check(ctx); done || err != nil {
			return err
		}
		if len(f.events) == 0 {
			<-ctx.Done()
			return ctx.Err()
		}
		ev := f.events[0]
		f.events = f.events[1:]
		ev(f)
	}
}

func (f *fakeBus) WaitUnit(ctx context.Context, unit string, done func(machine.UnitState) bool) (machine.UnitState, error) {
	var st machine.UnitState
	err := f.Wait(ctx, machine.Watch{Unit: unit}, func(ctx context.Context) (bool, error) {
		st, _ = f.UnitState(ctx, unit)
		return done(st), nil
	})
	return st, err
}

func (f *fakeBus) WaitMachine(ctx context.Context, name string, done func(*machine.Running) bool) (*machine.Running, error) {
	var m *machine.Running
	err := f.Wait(ctx, machine.Watch{Machine: true, Unit: machine.NspawnUnit(name)}, func(ctx context.Context) (bool, error) {
		m, _ = f.Machine(ctx, name)
		return done(m), nil
	})
	return m, err
}

// fakeAgent makes pingAgent ask f for the rest of the test.
func fakeAgent(t *testing.T, f *fakeBus) {
	t.Helper()
	old := pingAgent
	pingAgent = func(ctx context.Context, sock string) error {
		for name, up := range f.agentUp {
			if up && sock == agentSocket(name) {
				f.call("ping %s", name)
				return nil
			}
		}
		return fmt.Errorf("connection refused")
	}
	t.Cleanup(func() { pingAgent = old })
}

// Effects and events used by the tests.
func unitIs(name, active, sub string) func(*fakeBus) {
	return func(f *fakeBus) {
		f.units[machine.NspawnUnit(name)] = machine.UnitState{Active: active, Sub: sub, Loaded: true}
	}
}

func machineIs(name, state string, leader uint32) func(*fakeBus) {
	return func(f *fakeBus) {
		f.machines[name] = &machine.Running{Name: name, State: state, Leader: leader, Unit: machine.NspawnUnit(name)}
	}
}

func machineGone(name string) func(*fakeBus) {
	return func(f *fakeBus) { delete(f.machines, name) }
}

func agentIs(name string, up bool) func(*fakeBus) {
	return func(f *fakeBus) { f.agentUp[name] = up }
}

func all(effects ...func(*fakeBus)) func(*fakeBus) {
	return func(f *fakeBus) {
		for _, e := range effects {
			e(f)
		}
	}
}

func (f *fakeBus) wantCalls(t *testing.T, want ...string) {
	t.Helper()
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(f.calls, "\n  "), strings.Join(want, "\n  "))
	}
}
