package machine

import (
	"context"
	"fmt"
)

// MachinesTarget is the target that starts enabled machines at boot; it is
// itself wanted by multi-user.target once enabled.
const MachinesTarget = "machines.target"

// UnitFileChange is one symlink systemd created or removed while enabling
// or disabling unit files.
type UnitFileChange struct {
	Type        string // symlink, unlink
	Filename    string
	Destination string
}

// Enable makes machine name start at boot the way `machinectl enable`
// does: machines.target and systemd-nspawn@NAME.service are enabled
// together (the template's [Install] section puts it in machines.target),
// then systemd reloads so its idea of the dependencies is current. Needs
// polkit's org.freedesktop.systemd1.manage-unit-files.
func (b *Bus) Enable(ctx context.Context, name string) ([]UnitFileChange, error) {
	var carriesInstallInfo bool
	var raw []struct{ Type, Filename, Destination string }
	err := b.systemd().CallWithContext(ctx, systemdMgr+".EnableUnitFiles", 0,
		[]string{MachinesTarget, NspawnUnit(name)}, false, false).Store(&carriesInstallInfo, &raw)
	if err != nil {
		return nil, explain(err, "enabling "+NspawnUnit(name))
	}
	b.reloadBestEffort(ctx)
	return changes(raw), nil
}

// Disable undoes Enable for one machine (machines.target stays enabled: it
// may start other machines).
func (b *Bus) Disable(ctx context.Context, name string) ([]UnitFileChange, error) {
	var raw []struct{ Type, Filename, Destination string }
	err := b.systemd().CallWithContext(ctx, systemdMgr+".DisableUnitFiles", 0,
		[]string{NspawnUnit(name)}, false).Store(&raw)
	if err != nil {
		return nil, explain(err, "disabling "+NspawnUnit(name))
	}
	b.reloadBestEffort(ctx)
	return changes(raw), nil
}

// UnitFileState is what `systemctl is-enabled UNIT` prints: enabled,
// disabled, static, ... Asking needs no authorization.
func (b *Bus) UnitFileState(ctx context.Context, unit string) (string, error) {
	var state string
	err := b.systemd().CallWithContext(ctx, systemdMgr+".GetUnitFileState", 0, unit).Store(&state)
	if err != nil {
		return "", explain(err, fmt.Sprintf("asking systemd whether %s is enabled", unit))
	}
	return state, nil
}

// reloadBestEffort asks systemd to reload its units, as machinectl does
// after enabling. Boot-time starting works without it (it only refreshes
// the running manager's view), and polkit may refuse it to users allowed
// to manage unit files but not to reload the daemon, so failure is fine.
func (b *Bus) reloadBestEffort(ctx context.Context) {
	b.systemd().CallWithContext(ctx, systemdMgr+".Reload", 0) // best effort: see above
}

func changes(raw []struct{ Type, Filename, Destination string }) []UnitFileChange {
	out := make([]UnitFileChange, 0, len(raw))
	for _, r := range raw {
		out = append(out, UnitFileChange{Type: r.Type, Filename: r.Filename, Destination: r.Destination})
	}
	return out
}
