package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/launcher/hint"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

// The lifecycle verbs' logic against a scripted bus: what they call, what
// they wait for, and what they say when it goes wrong.

const fm = "proj-1a2b3c" // the fake machine

func fakeCtx() (*Ctx, *bytes.Buffer) {
	var errOut bytes.Buffer
	return &Ctx{IO: IO{Out: &bytes.Buffer{}, Err: &errOut}}, &errOut
}

func readyTarget() *target { return &target{Name: fm, Meta: nspawn.Meta{State: nspawn.StateReady}} }

func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func wantErr(t *testing.T, err error, msg, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", msg)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want it to say %q", err, msg)
	}
	if h := hint.Of(err); h == "" || !strings.Contains(h, want) {
		t.Errorf("error %q has hint %q, want one saying %q", err, h, want)
	}
}

func TestStartWaitsUntilTheAgentAnswers(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	f.onStart = all(unitIs(fm, "active", "running"), machineIs(fm, "opening", 7))
	f.events = []func(*fakeBus){machineIs(fm, "running", 7), agentIs(fm, true)}
	c, _ := fakeCtx()
	if err := c.start(f, readyTarget()); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(t, "StartUnit "+machine.NspawnUnit(fm), "ping "+fm)
	if len(f.events) != 0 {
		t.Errorf("start returned before the agent answered (%d events left)", len(f.events))
	}
	if len(f.waits) != 1 || f.waits[0].Every == 0 || !f.waits[0].Machine || f.waits[0].Unit != machine.NspawnUnit(fm) {
		t.Errorf("waitReady watched %+v; want the unit, machined and a retry for the agent", f.waits)
	}
}

func TestStartRunningMachineOnlyChecksTheAgent(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	all(unitIs(fm, "active", "running"), machineIs(fm, "running", 7), agentIs(fm, true))(f)
	c, _ := fakeCtx()
	if err := c.withContext(shortCtx(t)).start(f, readyTarget()); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(t, "StartUnit "+machine.NspawnUnit(fm), "ping "+fm)
}

func TestStartFailedJob(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	f.startResult = "failed"
	f.onStart = unitIs(fm, "failed", "exit-code")
	c, _ := fakeCtx()
	err := c.start(f, readyTarget())
	wantErr(t, err, "machine "+fm+" failed to start (exit-code)", "journalctl -u "+machine.NspawnUnit(fm))
}

func TestStartStoppedWhileBooting(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	f.onStart = all(unitIs(fm, "active", "running"), machineIs(fm, "opening", 7))
	f.events = []func(*fakeBus){all(machineGone(fm), unitIs(fm, "failed", "exit-code")), agentIs(fm, true)}
	c, _ := fakeCtx()
	err := c.start(f, readyTarget())
	wantErr(t, err, "failed to start (exit-code)", "journalctl -u "+machine.NspawnUnit(fm))
}

func TestStartTimesOutWhenTheAgentNeverAnswers(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	f.onStart = all(unitIs(fm, "active", "running"), machineIs(fm, "running", 7))
	c, _ := fakeCtx()
	err := c.withContext(shortCtx(t)).start(f, readyTarget())
	wantErr(t, err, "was not ready after", "--timeout")
}

func TestStartIncompleteMachine(t *testing.T) {
	f := newFakeBus()
	c, _ := fakeCtx()
	err := c.start(f, &target{Name: fm, Meta: nspawn.Meta{State: "building"}})
	wantErr(t, err, "incomplete", "sbx create")
	f.wantCalls(t)
}

func TestStopWaitsUntilMachinedLetsGo(t *testing.T) {
	f := newFakeBus()
	all(unitIs(fm, "active", "running"), machineIs(fm, "running", 7))(f)
	f.onStop = unitIs(fm, "deactivating", "stop-sigterm")
	f.events = []func(*fakeBus){unitIs(fm, "inactive", "dead"), machineIs(fm, "closing", 7), machineGone(fm)}
	c, _ := fakeCtx()
	if err := c.stop(f, fm); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(t, "StopUnit "+machine.NspawnUnit(fm))
	if len(f.events) != 0 {
		t.Errorf("stop returned before the machine was gone (%d events left)", len(f.events))
	}
}

func TestStopHandStartedMachineTerminatesIt(t *testing.T) {
	f := newFakeBus()
	f.machines[fm] = &machine.Running{Name: fm, State: "running", Unit: "machine-" + fm + ".scope"}
	f.onTerminate = machineGone(fm)
	c, _ := fakeCtx()
	if err := c.stop(f, fm); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(t, "Terminate "+fm)
}

func TestStopTimeoutNamesTerminate(t *testing.T) {
	f := newFakeBus()
	all(unitIs(fm, "active", "running"), machineIs(fm, "running", 7))(f)
	c, _ := fakeCtx()
	err := c.withContext(shortCtx(t)).stop(f, fm)
	wantErr(t, err, "did not shut down in time", "sbx terminate "+fm)
}

func TestRebootWaitsForTheNewInstance(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	all(unitIs(fm, "active", "running"), machineIs(fm, "running", 7), agentIs(fm, true))(f)
	f.events = []func(*fakeBus){
		all(machineGone(fm), agentIs(fm, false)), // the old instance goes
		machineIs(fm, "opening", 9),              // a new one registers
		machineIs(fm, "running", 9),
		agentIs(fm, true),
	}
	c, _ := fakeCtx()
	if err := c.ifRunning(f, readyTarget(), true, reboot); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(t, "Kill "+fm+" leader 2", "ping "+fm)
	if len(f.events) != 0 {
		t.Errorf("reboot returned before the new instance was ready (%d events left)", len(f.events))
	}
}

func TestPoweroffWaitsUntilGone(t *testing.T) {
	f := newFakeBus()
	all(unitIs(fm, "active", "running"), machineIs(fm, "running", 7))(f)
	f.events = []func(*fakeBus){unitIs(fm, "deactivating", "stop-sigterm"), unitIs(fm, "inactive", "dead"), machineGone(fm)}
	c, _ := fakeCtx()
	if err := c.ifRunning(f, readyTarget(), false, poweroff); err != nil {
		t.Fatal(err)
	}
	f.wantCalls(t, "Kill "+fm+" leader 38")
	if len(f.events) != 0 {
		t.Errorf("poweroff returned before the machine was gone (%d events left)", len(f.events))
	}
}

func TestPowerVerbsOnAStoppedMachine(t *testing.T) {
	f := newFakeBus()
	c, errOut := fakeCtx()
	if err := c.ifRunning(f, readyTarget(), false, terminate); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "machine "+fm+" is not running") {
		t.Errorf("terminate of a stopped machine said %q", errOut)
	}
	err := c.ifRunning(f, readyTarget(), true, reboot)
	wantErr(t, err, "is not running", "sbx start "+fm)
	f.wantCalls(t)
}

func TestWatchGoneWaitsForTheMachineToGo(t *testing.T) {
	f := newFakeBus()
	machineIs(fm, "running", 7)(f)
	f.events = []func(*fakeBus){machineIs(fm, "running", 7), machineGone(fm)}
	gone := make(chan struct{})
	watchGone(context.Background(), f, &machine.Running{Name: fm, Leader: 7}, gone)
	select {
	case <-gone:
	default:
		t.Fatal("gone is open after the machine went")
	}
	if len(f.events) != 0 || len(f.waits) != 1 || !f.waits[0].Machine {
		t.Errorf("watchGone returned with %d events left, waits %+v; want it woken by machined", len(f.events), f.waits)
	}
}

func TestWatchGoneSeesAReboot(t *testing.T) {
	f := newFakeBus()
	machineIs(fm, "running", 7)(f)
	f.events = []func(*fakeBus){machineIs(fm, "running", 8)}
	gone := make(chan struct{})
	watchGone(context.Background(), f, &machine.Running{Name: fm, Leader: 7}, gone)
	if _, open := <-gone; open {
		t.Fatal("gone not closed")
	}
}

func TestWatchGoneLeavesGoneOpenWhenCancelled(t *testing.T) {
	f := newFakeBus()
	machineIs(fm, "running", 7)(f)
	gone := make(chan struct{})
	watchGone(shortCtx(t), f, &machine.Running{Name: fm, Leader: 7}, gone)
	select {
	case <-gone:
		t.Fatal("gone closed although the machine still runs")
	default:
	}
}
