package machine

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// Polkit's authority and the action sbx's rule grants to group sbx.
const (
	polkitDest          = "org.freedesktop.PolicyKit1"
	polkitPath          = dbus.ObjectPath("/org/freedesktop/PolicyKit1/Authority")
	polkitAuthority     = "org.freedesktop.PolicyKit1.Authority"
	ActionManageMachine = "org.freedesktop.machine1.manage-machines"
	ActionManageUnits   = "org.freedesktop.systemd1.manage-units"
)

// ErrNoPolkit means polkit is not installed or not running.
var ErrNoPolkit = errors.New("polkit is not available on the system bus")

type polkitSubject struct {
	Kind    string
	Details map[string]dbus.Variant
}

// Authorized asks polkit, without any interaction, whether this process
// (identified by its bus connection, the race-free way) may perform action
// right now. It is what machined and systemd will ask on our behalf.
func (b *Bus) Authorized(ctx context.Context, action string) (bool, error) {
	names := b.conn.Names()
	if len(names) == 0 {
		return false, errors.New("asking polkit: this bus connection has no name")
	}
	subject := polkitSubject{Kind: "system-bus-name", Details: map[string]dbus.Variant{"name": dbus.MakeVariant(names[0])}}
	var result struct {
		IsAuthorized, IsChallenge bool
		Details                   map[string]string
	}
	err := b.conn.Object(polkitDest, polkitPath).CallWithContext(ctx, polkitAuthority+".CheckAuthorization", 0,
		subject, action, map[string]string{}, uint32(0), "").Store(&result)
	if IsDBusError(err, "org.freedesktop.DBus.Error.ServiceUnknown") || IsDBusError(err, "org.freedesktop.DBus.Error.NameHasNoOwner") {
		return false, ErrNoPolkit
	}
	if err != nil {
		return false, fmt.Errorf("asking polkit about %s: %w", action, err)
	}
	return result.IsAuthorized, nil
}
