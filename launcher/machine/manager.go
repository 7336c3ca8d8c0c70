package machine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/godbus/dbus/v5"
)

// ManagerSocket is systemd's private socket: a direct D-Bus connection to
// PID 1, open to root only, that works without a bus daemon and from early
// boot on. systemctl uses it when run as root.
const ManagerSocket = "/run/systemd/private"

// ConnectManager talks to this system's own systemd on ManagerSocket, the
// way go-systemd's NewSystemdConnectionContext does. The agent uses it
// inside a machine to ask the machine's systemd about its boot and to shut
// it down; everything Bus does with systemd works on it.
func ConnectManager(ctx context.Context) (*Bus, error) {
	conn, err := dial(ctx, func() (*dbus.Conn, error) {
		conn, err := dbus.Dial("unix:path=" + ManagerSocket)
		if err != nil {
			return nil, err
		}
		// No Hello: there is no bus daemon on the other end.
		if err := conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
			conn.Close() // best effort
			return nil, err
		}
		return conn, nil
	})
	if err != nil {
		return nil, fmt.Errorf("connecting to systemd at %s: %w", ManagerSocket, err)
	}
	return &Bus{conn: conn, direct: true}, nil
}

// SystemState is what `systemctl is-system-running` prints: initializing,
// starting, running, degraded, maintenance, stopping, offline.
func (b *Bus) SystemState(ctx context.Context) (string, error) {
	var v dbus.Variant
	if err := b.systemd().CallWithContext(ctx, propsIface+".Get", 0, systemdMgr, "SystemState").Store(&v); err != nil {
		return "", explain(err, "asking systemd for the system's state")
	}
	state, _ := v.Value().(string)
	return state, nil
}

// bootRecheck is how often WaitBooted also reads the state: the
// StartupFinished signal does not always reach a private connection made
// during the boot (seen with systemd 257 in a machine), and the state
// changes after the last of the boot's other signals.
const bootRecheck = 50 * time.Millisecond

// WaitBooted waits until the boot has finished, like `systemctl
// is-system-running --wait`: woken by systemd's signals (and every
// bootRecheck), it returns the first state that is neither initializing
// nor starting.
func (b *Bus) WaitBooted(ctx context.Context) (string, error) {
	var state string
	err := b.Wait(ctx, Watch{Startup: true, Every: bootRecheck}, func(ctx context.Context) (bool, error) {
		var err error
		state, err = b.SystemState(ctx)
		return err == nil && state != "initializing" && state != "starting", err
	})
	return state, err
}

// PoweroffSystem shuts the system down the ordinary way, as `systemctl poweroff`
// does: it queues poweroff.target (irreversibly) and returns; it does not
// wait, since the connection ends with the system.
func (b *Bus) PoweroffSystem(ctx context.Context) error {
	var job dbus.ObjectPath
	err := b.systemd().CallWithContext(ctx, systemdMgr+".StartUnit", 0, "poweroff.target", "replace-irreversibly").Store(&job)
	return explain(err, "starting poweroff.target")
}
