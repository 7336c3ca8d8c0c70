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

// Image is an entry of machined's image store.
type Image struct {
	Name     string
	Type     string // directory, subvolume, raw, block
	ReadOnly bool
	Usage    uint64 // bytes; ^0 when machined does not know
	Path     string
}

// Images lists machined's images (works for non-root users, unlike reading
// /var/lib/machines, which is mode 0700).
func (b *Bus) Images(ctx context.Context) ([]Image, error) {
	var rows []struct {
		Name, Type           string
		ReadOnly             bool
		Crtime, Mtime, Usage uint64
		Path                 dbus.ObjectPath
	}
	if err := b.machined().CallWithContext(ctx, machinedMgr+".ListImages", 0).Store(&rows); err != nil {
		return nil, explain(err, "listing machine images")
	}
	out := make([]Image, 0, len(rows))
	for _, r := range rows {
		out = append(out, Image{Name: r.Name, Type: r.Type, ReadOnly: r.ReadOnly, Usage: r.Usage})
	}
	return out, nil
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
