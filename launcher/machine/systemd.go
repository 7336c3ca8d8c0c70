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

// Down reports whether the unit is not running at all: stopped, failed or
// not loaded.
func (st UnitState) Down() bool {
	return st.Active == "inactive" || st.Active == "failed" || !st.Loaded
}

// NspawnUnit is the template unit machinectl also uses for a machine.
func NspawnUnit(name string) string { return "systemd-nspawn@" + name + ".service" }

// JobError is a start or stop job that did not end in "done".
type JobError struct {
	Unit   string
	Verb   string // start, stop
	Result string // canceled, timeout, failed, dependency, skipped
}

func (e *JobError) Error() string {
	return fmt.Sprintf("%sing %s: the job ended %q", e.Verb, e.Unit, e.Result)
}

// StartUnit starts unit and returns when systemd's start job is done (for
// systemd-nspawn@.service: the container is up and registered), with a
// *JobError when the job did not succeed. As go-systemd's StartUnitContext
// does, it listens for the job's JobRemoved signal.
func (b *Bus) StartUnit(ctx context.Context, unit string) error {
	return b.runJob(ctx, "start", "StartUnit", unit)
}

// StopUnit stops unit and returns when the stop job is done (at once when
// the unit is not loaded).
func (b *Bus) StopUnit(ctx context.Context, unit string) error {
	err := b.runJob(ctx, "stop", "StopUnit", unit)
	if IsDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		return nil
	}
	return err
}

// runJob calls the manager's method on unit in mode replace and waits for
// the job it queued to be removed.
func (b *Bus) runJob(ctx context.Context, verb, method, unit string) error {
	var job dbus.ObjectPath
	var result string
	err := b.waitSignals(ctx, Watch{Jobs: true}, func(ctx context.Context, sig *dbus.Signal) (bool, error) {
		if sig == nil {
			if job != "" {
				return false, nil
			}
			if err := b.systemd().CallWithContext(ctx, systemdMgr+"."+method, 0, unit, "replace").Store(&job); err != nil {
				return false, err
			}
			return false, nil
		}
		// JobRemoved(u id, o job, s unit, s result)
		if sig.Name != systemdMgr+".JobRemoved" || len(sig.Body) != 4 {
			return false, nil
		}
		if path, _ := sig.Body[1].(dbus.ObjectPath); path != job {
			return false, nil
		}
		result, _ = sig.Body[3].(string)
		return true, nil
	})
	if IsDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		return err
	}
	if err != nil {
		return explain(err, verb+"ing "+unit)
	}
	if result != "done" {
		return &JobError{Unit: unit, Verb: verb, Result: result}
	}
	return nil
}

// UnitState returns the state of unit; an unknown unit is inactive.
func (b *Bus) UnitState(ctx context.Context, unit string) (UnitState, error) {
	var props map[string]dbus.Variant
	err := b.conn.Object(systemdDest, unitPath(unit)).CallWithContext(ctx, propsIface+".GetAll", 0, systemdUnit).Store(&props)
	if IsDBusError(err, "org.freedesktop.DBus.Error.UnknownObject") || IsDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		return UnitState{Active: "inactive"}, nil
	}
	if err != nil {
		return UnitState{}, explain(err, "asking systemd about "+unit)
	}
	var st UnitState
	st.Active, _ = props["ActiveState"].Value().(string)
	st.Sub, _ = props["SubState"].Value().(string)
	load, _ := props["LoadState"].Value().(string)
	st.Loaded = load == "loaded"
	return st, nil
}

// WaitUnit waits until done(state of unit) is true or ctx ends, woken by
// the unit's PropertiesChanged signals.
func (b *Bus) WaitUnit(ctx context.Context, unit string, done func(UnitState) bool) (UnitState, error) {
	var st UnitState
	err := b.Wait(ctx, Watch{Unit: unit}, func(ctx context.Context) (bool, error) {
		var err error
		st, err = b.UnitState(ctx, unit)
		return err == nil && done(st), err
	})
	return st, err
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
