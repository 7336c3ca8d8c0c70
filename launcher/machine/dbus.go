// Package machine drives machine lifecycles through systemd (PID 1) and
// systemd-machined over the system D-Bus, the way machinectl does, so that a
// non-root member of group sbx is authorized by polkit rather than sudo.
// It says what failed; what the user should do about it is the CLI's
// business (see ErrNotAuthorized).
package machine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// D-Bus names and paths of the two services sbx talks to.
const (
	systemdDest  = "org.freedesktop.systemd1"
	systemdPath  = dbus.ObjectPath("/org/freedesktop/systemd1")
	systemdMgr   = "org.freedesktop.systemd1.Manager"
	systemdUnit  = "org.freedesktop.systemd1.Unit"
	machinedDest = "org.freedesktop.machine1"
	machinedPath = dbus.ObjectPath("/org/freedesktop/machine1")
	machinedMgr  = "org.freedesktop.machine1.Manager"
	machineIface = "org.freedesktop.machine1.Machine"
	propsIface   = "org.freedesktop.DBus.Properties"
)

// ErrNoSystemd means the host cannot run machines: PID 1 is not systemd or
// the system bus is missing.
var ErrNoSystemd = errors.New("this host does not run systemd as PID 1 with a system D-Bus")

// ErrNotAuthorized means polkit refused the call: the user is not allowed
// to manage machines (for sbx: not in group sbx).
var ErrNotAuthorized = errors.New("not authorized")

// Bus is a connection to the system bus used for both systemd and machined.
type Bus struct {
	conn      *dbus.Conn
	direct    bool      // a private connection to systemd: no bus daemon, no match rules
	subscribe sync.Once // systemd sends unit and job signals only to subscribers
	subErr    error
}

// Preflight fails fast, with one sentence, on hosts where nothing can work.
func Preflight() error {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		comm, _ := os.ReadFile("/proc/1/comm") // best effort: only for the message
		return fmt.Errorf("%w (PID 1 is %q)", ErrNoSystemd, strings.TrimSpace(string(comm)))
	}
	if _, err := os.Stat("/run/dbus/system_bus_socket"); err != nil && os.Getenv("DBUS_SYSTEM_BUS_ADDRESS") == "" {
		return fmt.Errorf("%w: no system bus socket at /run/dbus/system_bus_socket", ErrNoSystemd)
	}
	return nil
}

// Connect checks the host and opens the system bus. The dial gives up when
// ctx ends; the connection itself outlives ctx (Close ends it).
func Connect(ctx context.Context) (*Bus, error) {
	if err := Preflight(); err != nil {
		return nil, err
	}
	conn, err := dial(ctx, func() (*dbus.Conn, error) { return dbus.ConnectSystemBus() })
	if err != nil {
		return nil, fmt.Errorf("connecting to the system D-Bus: %w", err)
	}
	return &Bus{conn: conn}, nil
}

// dial runs open and gives up when ctx ends first, closing what open
// returns later.
func dial(ctx context.Context, open func() (*dbus.Conn, error)) (*dbus.Conn, error) {
	type dialed struct {
		conn *dbus.Conn
		err  error
	}
	ch := make(chan dialed, 1)
	go func() {
		conn, err := open()
		ch <- dialed{conn, err}
	}()
	select {
	case d := <-ch:
		return d.conn, d.err
	case <-ctx.Done():
		go func() {
			if d := <-ch; d.conn != nil {
				d.conn.Close() // best effort: nobody uses it
			}
		}()
		return nil, ctx.Err()
	}
}

// Close closes the connection.
func (b *Bus) Close() error { return b.conn.Close() }

func (b *Bus) systemd() dbus.BusObject  { return b.conn.Object(systemdDest, systemdPath) }
func (b *Bus) machined() dbus.BusObject { return b.conn.Object(machinedDest, machinedPath) }

// IsDBusError reports whether err is the D-Bus error name (e.g.
// "org.freedesktop.machine1.NoSuchMachine").
func IsDBusError(err error, name string) bool {
	var de dbus.Error
	if errors.As(err, &de) {
		return de.Name == name
	}
	var dp *dbus.Error
	if errors.As(err, &dp) {
		return dp.Name == name
	}
	return false
}

// explain wraps err with what was being done; polkit's refusals also wrap
// ErrNotAuthorized so the caller can say how to get the right.
func explain(err error, what string) error {
	if err == nil {
		return nil
	}
	if IsDBusError(err, "org.freedesktop.DBus.Error.AccessDenied") ||
		IsDBusError(err, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") {
		return fmt.Errorf("%s: %w (%w)", what, ErrNotAuthorized, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
