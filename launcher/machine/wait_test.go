package machine

import (
	"errors"
	"testing"

	"github.com/godbus/dbus/v5"
)

func TestUnitPath(t *testing.T) {
	for unit, want := range map[string]string{
		"systemd-nspawn@proj-1a2b3c.service": "/org/freedesktop/systemd1/unit/systemd_2dnspawn_40proj_2d1a2b3c_2eservice",
		"machines.target":                    "/org/freedesktop/systemd1/unit/machines_2etarget",
		"1x.service":                         "/org/freedesktop/systemd1/unit/_31x_2eservice",
		"":                                   "/org/freedesktop/systemd1/unit/_",
	} {
		if got := unitPath(unit); string(got) != want || !got.IsValid() {
			t.Errorf("unitPath(%q) = %q (valid %v), want %q", unit, got, got.IsValid(), want)
		}
	}
}

func TestUnitStateDown(t *testing.T) {
	for st, want := range map[UnitState]bool{
		{Active: "inactive", Loaded: true}:     true,
		{Active: "failed", Loaded: true}:       true,
		{Active: "inactive"}:                   true,
		{Active: "active", Loaded: true}:       false,
		{Active: "activating", Loaded: true}:   false,
		{Active: "deactivating", Loaded: true}: false,
	} {
		if st.Down() != want {
			t.Errorf("%+v.Down() = %v", st, !want)
		}
	}
}

func TestExplainMarksPolkitRefusals(t *testing.T) {
	denied := dbus.Error{Name: "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", Body: []any{"Interactive authentication required."}}
	err := explain(denied, "starting x.service")
	if !errors.Is(err, ErrNotAuthorized) || !IsDBusError(err, denied.Name) {
		t.Errorf("explain(%v) = %v: want ErrNotAuthorized and the D-Bus error kept", denied, err)
	}
	other := explain(dbus.Error{Name: "org.freedesktop.systemd1.NoSuchUnit"}, "starting x.service")
	if errors.Is(other, ErrNotAuthorized) {
		t.Errorf("explain(NoSuchUnit) = %v: not an authorization failure", other)
	}
}

func TestWatchWants(t *testing.T) {
	unit := NspawnUnit("p-1")
	w := Watch{Unit: unit, Machine: true}
	for sig, want := range map[*dbus.Signal]bool{
		{Name: propsIface + ".PropertiesChanged", Path: unitPath(unit)}:            true,
		{Name: propsIface + ".PropertiesChanged", Path: unitPath("other.service")}: false,
		{Name: machinedMgr + ".MachineNew", Path: machinedPath}:                    true,
		{Name: machinedMgr + ".MachineRemoved", Path: machinedPath}:                true,
		{Name: systemdMgr + ".JobRemoved", Path: systemdPath}:                      false,
		{Name: systemdMgr + ".StartupFinished", Path: systemdPath}:                 false,
		{Name: "org.freedesktop.DBus.NameAcquired", Path: "/org/freedesktop/DBus"}: false,
		{Name: systemdMgr + ".UnitNew", Path: systemdPath}:                         false,
	} {
		if got := w.wants(sig); got != want {
			t.Errorf("%+v wants %s %s = %v", w, sig.Name, sig.Path, got)
		}
	}
	if !(Watch{Jobs: true}).wants(&dbus.Signal{Name: systemdMgr + ".JobRemoved"}) ||
		!(Watch{Startup: true}).wants(&dbus.Signal{Name: systemdMgr + ".StartupFinished"}) {
		t.Error("JobRemoved or StartupFinished not wanted by the watch that names it")
	}
}
