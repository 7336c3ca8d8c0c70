package machine

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// UnitState is what systemd says of a unit.
type UnitState struct {
	Active string // ActiveState: active, inactive, failed, activating, deactivating
	Sub    string // SubState
	Loaded bool   // LoadState == "loaded"
}

// NspawnUnit is the template unit machinectl also uses for a machine.
func NspawnUnit(name string) string { return "systemd-nspawn@" + name + ".service" }

// StartUnit starts unit and returns when the start job is done.
func (b *Bus) StartUnit(ctx context.Context, unit string) error {
	var job dbus.ObjectPath
	err := b.systemd().CallWithContext(ctx, systemdMgr+".StartUnit", 0, unit, "replace").Store(&job)
	return explain(err, "starting "+unit)
}

// StopUnit stops unit (a no-op when it is not loaded).
func (b *Bus) StopUnit(ctx context.Context, unit string) error {
	var job dbus.ObjectPath
	err := b.systemd().CallWithContext(ctx, systemdMgr+".StopUnit", 0, unit, "replace").Store(&job)
	if IsDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		return nil
	}
	return explain(err, "stopping "+unit)
}

// UnitState returns the state of unit; an unknown unit is inactive.
func (b *Bus) UnitState(ctx context.Context, unit string) (UnitState, error) {
	var path dbus.ObjectPath
	err := b.systemd().CallWithContext(ctx, systemdMgr+".GetUnit", 0, unit).Store(&path)
	if IsDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		return UnitState{Active: "inactive"}, nil
	}
	if err != nil {
		return UnitState{}, explain(err, "asking systemd about "+unit)
	}
	obj := b.conn.Object(systemdDest, path)
	var st UnitState
	var load string
	for prop, dst := range map[string]*string{"ActiveState": &st.Active, "SubState": &st.Sub, "LoadState": &load} {
		v, err := obj.GetProperty(systemdUnit + "." + prop)
		if err != nil {
			return UnitState{}, explain(err, "asking systemd about "+unit)
		}
		s, _ := v.Value().(string)
		*dst = s
	}
	st.Loaded = load == "loaded"
	return st, nil
}

// WaitUnit polls until done(state) is true or ctx ends.
func (b *Bus) WaitUnit(ctx context.Context, unit string, done func(UnitState) bool) (UnitState, error) {
	tick := 20 * time.Millisecond
	for {
		st, err := b.UnitState(ctx, unit)
		if err != nil || done(st) {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(tick):
		}
		if tick < 200*time.Millisecond {
			tick *= 2
		}
	}
}

// Transient describes a one-shot root process run by systemd, whose stdout
// and stderr go to Output (the write end of a pipe the caller reads).
type Transient struct {
	Unit        string
	Description string
	Argv        []string
	Output      *os.File
	// Input, when set, is the unit's standard input: a file the caller
	// opened (for reading or writing) and hands to the root process in the
	// call itself, never through a socket another process could reach.
	Input *os.File
}

// ErrUnitExists means a transient unit of that name is already running.
var ErrUnitExists = fmt.Errorf("unit already exists")

// StartTransient starts t as a transient service. Its mounts are private so a
// crash never leaves mounts behind on the host, and a failed unit is
// garbage-collected so the name can be used again.
func (b *Bus) StartTransient(ctx context.Context, t Transient) error {
	fd := dbus.UnixFD(t.Output.Fd())
	props := []property{
		{"Description", dbus.MakeVariant(t.Description)},
		{"ExecStart", dbus.MakeVariant([]execStart{{Path: t.Argv[0], Argv: t.Argv, IgnoreFailure: false}})},
		{"Type", dbus.MakeVariant("exec")},
		{"CollectMode", dbus.MakeVariant("inactive-or-failed")},
		{"PrivateMounts", dbus.MakeVariant(true)},
		{"StandardOutputFileDescriptor", dbus.MakeVariant(fd)},
		{"StandardErrorFileDescriptor", dbus.MakeVariant(fd)},
		{"TimeoutStopUSec", dbus.MakeVariant(uint64(60 * time.Second / time.Microsecond))},
	}
	if t.Input != nil {
		props = append(props, property{"StandardInputFileDescriptor", dbus.MakeVariant(dbus.UnixFD(t.Input.Fd()))})
	} else {
		props = append(props, property{"StandardInput", dbus.MakeVariant("null")})
	}
	var job dbus.ObjectPath
	err := b.systemd().CallWithContext(ctx, systemdMgr+".StartTransientUnit", 0,
		t.Unit, "fail", props, []auxUnit{}).Store(&job)
	if IsDBusError(err, "org.freedesktop.systemd1.UnitExists") {
		return ErrUnitExists
	}
	return explain(err, "starting "+t.Unit)
}

type property struct {
	Name  string
	Value dbus.Variant
}

type execStart struct {
	Path          string
	Argv          []string
	IgnoreFailure bool
}

type auxUnit struct {
	Name  string
	Props []property
}
