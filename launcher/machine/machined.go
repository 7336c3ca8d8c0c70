package machine

import (
	"context"
	"fmt"
	"syscall"

	"github.com/godbus/dbus/v5"
)

// Running describes a machine registered with machined.
type Running struct {
	Name    string
	Class   string
	Service string
	Unit    string
	Leader  uint32
	State   string // opening, running, closing
	Since   uint64 // µs since the epoch
}

// ListRunning returns the machines machined knows.
func (b *Bus) ListRunning(ctx context.Context) ([]Running, error) {
	var rows []struct {
		Name, Class, Service string
		Path                 dbus.ObjectPath
	}
	if err := b.machined().CallWithContext(ctx, machinedMgr+".ListMachines", 0).Store(&rows); err != nil {
		return nil, explain(err, "listing machines")
	}
	out := make([]Running, 0, len(rows))
	for _, r := range rows {
		out = append(out, Running{Name: r.Name, Class: r.Class, Service: r.Service})
	}
	return out, nil
}

// Machine returns the registered machine called name, or nil when it is not
// running.
func (b *Bus) Machine(ctx context.Context, name string) (*Running, error) {
	var path dbus.ObjectPath
	err := b.machined().CallWithContext(ctx, machinedMgr+".GetMachine", 0, name).Store(&path)
	if IsDBusError(err, "org.freedesktop.machine1.NoSuchMachine") {
		return nil, nil
	}
	if err != nil {
		return nil, explain(err, "asking machined about "+name)
	}
	obj := b.conn.Object(machinedDest, path)
	var props map[string]dbus.Variant
	if err := obj.CallWithContext(ctx, propsIface+".GetAll", 0, machineIface).Store(&props); err != nil {
		if IsDBusError(err, "org.freedesktop.DBus.Error.UnknownObject") {
			return nil, nil // it went away between the two calls
		}
		return nil, explain(err, "asking machined about "+name)
	}
	m := &Running{Name: name}
	m.Class, _ = props["Class"].Value().(string)
	m.Service, _ = props["Service"].Value().(string)
	m.Unit, _ = props["Unit"].Value().(string)
	m.Leader, _ = props["Leader"].Value().(uint32)
	m.State, _ = props["State"].Value().(string)
	m.Since, _ = props["Timestamp"].Value().(uint64)
	return m, nil
}

// WaitMachine waits until done(the machine called name, nil when machined
// does not know it) is true or ctx ends, woken by machined's MachineNew and
// MachineRemoved signals and, for changes machined sends no signal for
// (State going from opening to running), by the machine's unit's.
func (b *Bus) WaitMachine(ctx context.Context, name string, done func(*Running) bool) (*Running, error) {
	var m *Running
	err := b.Wait(ctx, Watch{Machine: true, Unit: NspawnUnit(name)}, func(ctx context.Context) (bool, error) {
		var err error
		m, err = b.Machine(ctx, name)
		return err == nil && done(m), err
	})
	return m, err
}

// WaitGone waits until machined no longer knows the machine.
func (b *Bus) WaitGone(ctx context.Context, name string) error {
	_, err := b.WaitMachine(ctx, name, func(m *Running) bool { return m == nil })
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("machine %s is still running: %w", name, err)
	}
	return err
}

// Terminate kills all processes of the machine at once (no clean shutdown).
func (b *Bus) Terminate(ctx context.Context, name string) error {
	err := b.machined().CallWithContext(ctx, machinedMgr+".TerminateMachine", 0, name).Err
	if IsDBusError(err, "org.freedesktop.machine1.NoSuchMachine") {
		return nil
	}
	return explain(err, "terminating "+name)
}

// Kill sends sig to the machine's leader ("leader") or all its processes ("all").
func (b *Bus) Kill(ctx context.Context, name, who string, sig syscall.Signal) error {
	err := b.machined().CallWithContext(ctx, machinedMgr+".KillMachine", 0, name, who, int32(sig)).Err
	if IsDBusError(err, "org.freedesktop.machine1.NoSuchMachine") {
		return fmt.Errorf("machine %s is not running", name)
	}
	return explain(err, fmt.Sprintf("sending signal %d to %s", sig, name))
}
