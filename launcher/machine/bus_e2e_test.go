//go:build e2e

package machine

// These tests run the real package against real systemd, machined and
// polkit, as go-systemd's dbus tests do: inside the e2e test host, as a
// member of group sbx, on an sbx machine named by SBX_TEST_MACHINE.
// tests/e2e (TestMachinePackage) builds them with go test -c and runs
// them there; anywhere else they fail, saying so.

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func hostMachine(t *testing.T) (context.Context, *Bus, string) {
	t.Helper()
	name := os.Getenv("SBX_TEST_MACHINE")
	if name == "" {
		t.Fatal("SBX_TEST_MACHINE is not set: these tests run in the e2e test host (go test -tags e2e -run TestMachinePackage ./tests/e2e/)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	bus, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return ctx, bus, name
}

func TestHostConnectHonoursCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if bus, err := Connect(ctx); !errors.Is(err, context.Canceled) {
		if bus != nil {
			bus.Close()
		}
		t.Errorf("Connect with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestHostLifecycle(t *testing.T) {
	ctx, bus, name := hostMachine(t)
	unit := NspawnUnit(name)

	// From stopped: StartUnit returns when the start job is done, so the
	// unit is active and the machine registered the moment it returns.
	if err := bus.StopUnit(ctx, unit); err != nil {
		t.Fatal(err)
	}
	if st, err := bus.UnitState(ctx, unit); err != nil || !st.Down() {
		t.Fatalf("after StopUnit: %+v, %v; want the unit down", st, err)
	}
	if err := bus.WaitGone(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := bus.StartUnit(ctx, unit); err != nil {
		t.Fatal(err)
	}
	st, err := bus.UnitState(ctx, unit)
	if err != nil || st.Active != "active" || !st.Loaded {
		t.Fatalf("right after StartUnit: %+v, %v; want active (the job is done)", st, err)
	}
	m, err := bus.WaitMachine(ctx, name, func(m *Running) bool { return m != nil && m.State == "running" })
	if err != nil {
		t.Fatal(err)
	}
	if m.Unit != unit || m.Leader == 0 || m.Since == 0 || m.Class != "container" {
		t.Errorf("Machine(%s) = %+v", name, m)
	}
	list, err := bus.ListRunning(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !containsMachine(list, name) {
		t.Errorf("ListRunning = %+v, lacks %s", list, name)
	}
	// Starting a running machine is done at once.
	if err := bus.StartUnit(ctx, unit); err != nil {
		t.Errorf("StartUnit of an active unit: %v", err)
	}

	// Reboot: a new instance (another leader) registers.
	if err := bus.Reboot(ctx, name); err != nil {
		t.Fatal(err)
	}
	again, err := bus.WaitMachine(ctx, name, func(n *Running) bool { return n != nil && n.Leader != m.Leader && n.State == "running" })
	if err != nil {
		t.Fatalf("no new instance after Reboot: %v", err)
	}

	// Kill: SIGCONT reaches the leader and does nothing.
	if err := bus.Kill(ctx, name, "leader", syscall.SIGCONT); err != nil {
		t.Errorf("Kill SIGCONT: %v", err)
	}
	// Poweroff: the guest shuts down; the unit ends and machined lets go.
	// The new instance is still booting, and an init drops signals it has
	// no handler for yet: send it until the unit goes down.
	err = bus.Wait(ctx, Watch{Unit: unit, Every: 500 * time.Millisecond}, func(ctx context.Context) (bool, error) {
		st, err := bus.UnitState(ctx, unit)
		if err != nil || st.Down() {
			return err == nil, err
		}
		if m, err := bus.Machine(ctx, name); err == nil && m != nil {
			return false, bus.Poweroff(ctx, name)
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.WaitGone(ctx, name); err != nil {
		t.Fatal(err)
	}
	if m, err := bus.Machine(ctx, name); m != nil || err != nil {
		t.Errorf("after poweroff Machine = %+v, %v", m, err)
	}
	if err := bus.Kill(ctx, name, "all", syscall.SIGTERM); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Errorf("Kill of a stopped machine = %v, want 'not running'", err)
	}

	// Terminate ends it at once; of a stopped machine it is a no-op.
	if err := bus.StartUnit(ctx, unit); err != nil {
		t.Fatal(err)
	}
	if err := bus.Terminate(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := bus.WaitGone(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := bus.Terminate(ctx, name); err != nil {
		t.Errorf("Terminate of a stopped machine: %v", err)
	}
	if again.Unit != unit {
		t.Errorf("after Reboot the machine runs in %q, want %s", again.Unit, unit)
	}

	// A wait that cannot be satisfied ends with its ctx.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := bus.WaitMachine(short, name, func(m *Running) bool { return m != nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitMachine of a stopped machine = %v, want the deadline", err)
	}
}

func TestHostUnknownUnit(t *testing.T) {
	ctx, bus, _ := hostMachine(t)
	st, err := bus.UnitState(ctx, "sbx-no-such-unit.service")
	if err != nil || st.Loaded || st.Active != "inactive" || !st.Down() {
		t.Errorf("UnitState of an unknown unit = %+v, %v", st, err)
	}
	if err := bus.StartUnit(ctx, "sbx-no-such-unit.service"); err == nil {
		t.Error("StartUnit of an unknown unit succeeded")
	}
	if err := bus.StopUnit(ctx, "sbx-no-such-unit.service"); err != nil {
		t.Errorf("StopUnit of an unknown unit = %v, want nil", err)
	}
	if _, err := bus.Machine(ctx, "sbx-no-such-machine"); err != nil {
		t.Errorf("Machine of an unknown machine: %v", err)
	}
}

func TestHostUnitFilesAndPolkit(t *testing.T) {
	ctx, bus, name := hostMachine(t)
	state, err := bus.UnitFileState(ctx, NspawnUnit(name))
	if err != nil || (state != "disabled" && state != "enabled") {
		t.Errorf("UnitFileState = %q, %v", state, err)
	}
	ok, err := bus.Authorized(ctx, ActionManageMachine)
	if err != nil || !ok {
		t.Errorf("Authorized(%s) = %v, %v; want true for a member of group sbx", ActionManageMachine, ok, err)
	}
}

func TestHostOpenLogin(t *testing.T) {
	ctx, bus, name := hostMachine(t)
	if err := bus.StartUnit(ctx, NspawnUnit(name)); err != nil {
		t.Fatal(err)
	}
	if _, err := bus.WaitMachine(ctx, name, func(m *Running) bool { return m != nil && m.State == "running" }); err != nil {
		t.Fatal(err)
	}
	// machined needs the guest's own system bus, which comes up during
	// the boot: try until it is there.
	var master *os.File
	var path string
	err := bus.Wait(ctx, Watch{Every: 200 * time.Millisecond}, func(ctx context.Context) (bool, error) {
		var err error
		master, path, err = bus.OpenLogin(ctx, name)
		if err != nil && strings.Contains(err.Error(), "no system bus") {
			return false, nil
		}
		return true, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if !strings.HasPrefix(path, "/dev/pts/") {
		t.Errorf("OpenLogin path = %q, want /dev/pts/N", path)
	}
}

// TestHostNotAuthorized runs as a user outside group sbx (SBX_TEST_DENIED=1):
// polkit's refusal must come back as ErrNotAuthorized.
func TestHostNotAuthorized(t *testing.T) {
	if os.Getenv("SBX_TEST_DENIED") == "" {
		t.Fatal("SBX_TEST_DENIED is not set: run as a user outside group sbx (tests/e2e TestMachinePackage)")
	}
	ctx, bus, name := hostMachine(t)
	err := bus.StartUnit(ctx, NspawnUnit(name))
	if !errors.Is(err, ErrNotAuthorized) {
		t.Errorf("StartUnit as a user outside group sbx = %v, want ErrNotAuthorized", err)
	}
}

func containsMachine(list []Running, name string) bool {
	for _, r := range list {
		if r.Name == name {
			return true
		}
	}
	return false
}

// TestHostManager runs as root (SBX_TEST_ROOT=1): the private connection
// to PID 1 that the agent uses inside a machine, here to the host's own
// systemd, which has long finished booting.
func TestHostManager(t *testing.T) {
	if os.Getenv("SBX_TEST_ROOT") == "" {
		t.Fatal("SBX_TEST_ROOT is not set: run as root in the test host (tests/e2e TestMachinePackage)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bus, err := ConnectManager(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer bus.Close()
	booted, err := bus.WaitBooted(ctx)
	if err != nil || (booted != "running" && booted != "degraded") {
		t.Fatalf("WaitBooted = %q, %v", booted, err)
	}
	if state, err := bus.SystemState(ctx); err != nil || state != booted {
		t.Errorf("SystemState = %q, %v; want %q", state, err, booted)
	}
	st, err := bus.UnitState(ctx, "sysinit.target")
	if err != nil || st.Active != "active" {
		t.Errorf("UnitState(sysinit.target) on the private connection = %+v, %v", st, err)
	}
}
