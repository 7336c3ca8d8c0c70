// Package machine drives machine lifecycles through systemd (PID 1) and
// systemd-machined over the system D-Bus, the way machinectl does, so that a
// non-root member of group sbx is authorized by polkit rather than sudo.
package machine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

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

// DialFunc opens a system bus connection; tests may replace it.
type DialFunc func() (*dbus.Conn, error)

// Bus is a connection to the system bus used for both systemd and machined.
type Bus struct {
	conn *dbus.Conn
}

// Preflight fails fast, with one sentence, on hosts where nothing can work.
func Preflight() error {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		comm, _ := os.ReadFile("/proc/1/comm") // best effort: only for the message
		return fmt.Errorf("%w (PID 1 is %q); sbx needs a systemd host", ErrNoSystemd, strings.TrimSpace(string(comm)))
	}
	if _, err := os.Stat("/run/dbus/system_bus_socket"); err != nil && os.Getenv("DBUS_SYSTEM_BUS_ADDRESS") == "" {
		return fmt.Errorf("%w: no system bus socket at /run/dbus/system_bus_socket; install and start dbus", ErrNoSystemd)
	}
	return nil
}

// Connect checks the host and opens the system bus.
func Connect(ctx context.Context) (*Bus, error) {
	return ConnectWith(ctx, func() (*dbus.Conn, error) { return dbus.ConnectSystemBus() })
}

// ConnectWith opens the bus with dial; the connection is closed on failure.
func ConnectWith(ctx context.Context, dial DialFunc) (*Bus, error) {
	if err := Preflight(); err != nil {
		return nil, err
	}
	conn, err := dial()
	if err != nil {
		return nil, fmt.Errorf("connecting to the system D-Bus: %w", err)
	}
	return &Bus{conn: conn}, nil
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

// explain turns authorization failures into an actionable message.
func explain(err error, what string) error {
	if err == nil {
		return nil
	}
	if IsDBusError(err, "org.freedesktop.DBus.Error.AccessDenied") ||
		IsDBusError(err, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") {
		return fmt.Errorf("%s: not authorized (%v); join group sbx (sudo ./install.sh --user $USER, then log in again)", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
