package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
}

func testStatus(running bool) *machineStatus {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	s := &machineStatus{Name: "p-1a2b3c", Unit: machine.NspawnUnit("p-1a2b3c"), Now: now, DiskBytes: 3 << 20, Sandbox: "in line with .sandbox",
		UnitState: machine.UnitState{Active: "inactive", Sub: "dead", Loaded: true},
		Meta:      nspawn.Meta{Project: "/home/a/p\x1b[31m", Distribution: "debian", Release: "trixie", State: nspawn.StateReady, Created: "2026-11-30T10:00:00Z"}}
	if running {
		s.Running = &machine.Running{Name: s.Name, State: "running", Leader: 4242, Since: uint64(now.Add(-90 * time.Second).UnixMicro())}
		s.UnitState = machine.UnitState{Active: "active", Sub: "running", Loaded: true}
	}
	return s
}

// TestStatusTextAndJSON: both outputs come from the same fields.
func TestStatusTextAndJSON(t *testing.T) {
	var text, js bytes.Buffer
	s := testStatus(true)
	if err := s.writeText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Machine:  p-1a2b3c\n", "State:    running since ", "(1m30s ago)", "System:   debian trixie\n",
		"Unit:     systemd-nspawn@p-1a2b3c.service (active/running)\n", "Leader:   4242\n", "Network:  the host's (shared)\n", "Sandbox:  in line with .sandbox\n", "Project:  /home/a/p\\e[31m\n", "Disk:     "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("status text lacks %q:\n%s", want, text.String())
		}
	}
	if err := s.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	decode(t, js.Bytes(), &got)
	want := map[string]any{"machine": "p-1a2b3c", "state": "running", "since": "2026-12-01T08:58:30Z", "sandbox": "in line with .sandbox",
		"project": "/home/a/p\x1b[31m", "distribution": "debian", "release": "trixie", "unit": "systemd-nspawn@p-1a2b3c.service",
		"unit_state": "active", "unit_substate": "running", "leader": 4242.0, "network": "host", "disk_bytes": float64(3 << 20),
		"created": "2026-11-30T10:00:00Z"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("status JSON %q = %#v, want %#v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("status JSON has %d members, want %d: %s", len(got), len(want), js.String())
	}
	if strings.Contains(js.String(), "\x1b") {
		t.Errorf("status JSON carries a raw control character: %q", js.String())
	}
	// Every text line has a JSON member.
	for _, f := range s.fields() {
		if f.Label != "" && f.Value == nil && f.Text != "" {
			t.Errorf("status line %s has no JSON member", f.Label)
		}
	}
}

func TestStatusStoppedJSONLeavesOutWhatIsNotThere(t *testing.T) {
	var js bytes.Buffer
	s := testStatus(false)
	s.DiskBytes = -1
	if err := s.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	decode(t, js.Bytes(), &got)
	for _, k := range []string{"since", "leader", "disk_bytes"} {
		if _, ok := got[k]; ok {
			t.Errorf("stopped status JSON has %q: %s", k, js.String())
		}
	}
	if got["state"] != "stopped" {
		t.Errorf("state = %v, want stopped", got["state"])
	}
	var text bytes.Buffer
	s.writeText(&text)
	if strings.Contains(text.String(), "Leader:") || !strings.Contains(text.String(), "Disk:     unknown (sudo du -sh") {
		t.Errorf("stopped status text:\n%s", text.String())
	}
}

func TestListRows(t *testing.T) {
	rows := []listRow{
		newListRow("a-111111", true, nspawn.Meta{Project: "/p/a", Distribution: "debian", Release: "trixie", State: nspawn.StateReady}),
		newListRow("b-222222", false, nspawn.Meta{Project: "/p/b", Distribution: "ubuntu", Release: "noble", State: nspawn.StateIncomplete}),
	}
	var text, js bytes.Buffer
	if err := writeList(&text, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"NAME      STATE                 SYSTEM         PROJECT\n", "a-111111  running               debian trixie  /p/a\n",
		"b-222222  stopped (incomplete)  ubuntu noble   /p/b\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("list text lacks %q:\n%s", want, text.String())
		}
	}
	writeJSON(&js, rows)
	var got []map[string]any
	decode(t, js.Bytes(), &got)
	if len(got) != 2 || got[0]["name"] != "a-111111" || got[0]["state"] != "running" || got[1]["setup"] != "incomplete" ||
		got[1]["distribution"] != "ubuntu" || got[1]["release"] != "noble" || got[1]["project"] != "/p/b" || len(got[0]) != 6 {
		t.Errorf("list JSON = %s", js.String())
	}
}

func TestSnapshotRows(t *testing.T) {
	when := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	rows := []snapshotRow{
		newSnapshotRow(builder.SnapshotInfo{Name: "before", Time: when, Kind: builder.KindBtrfs}),
		newSnapshotRow(builder.SnapshotInfo{Name: "later", Time: when, Size: 2048, Kind: ".tar.zst"}),
	}
	var text, js bytes.Buffer
	writeSnapshots(&text, rows)
	if !strings.Contains(text.String(), "before    2026-11-30 08:00:00  -") || !strings.Contains(text.String(), "tar.zst") {
		t.Errorf("snapshots text:\n%s", text.String())
	}
	writeJSON(&js, rows)
	var got []map[string]any
	decode(t, js.Bytes(), &got)
	if len(got) != 2 || got[0]["kind"] != "btrfs" || got[0]["size_bytes"] != nil || got[1]["size_bytes"] != 2048.0 ||
		got[1]["kind"] != "tar.zst" || got[1]["taken"] != "2026-11-30T08:00:00Z" || got[1]["name"] != "later" {
		t.Errorf("snapshots JSON = %s", js.String())
	}
}

func TestDoctorJSON(t *testing.T) {
	results := []checkResult{
		{Verdict: pass, Name: "systemd is PID 1", Fix: "not shown"},
		{Verdict: fail, Name: "group sbx", Detail: "not a member", Fix: "join it"},
		{Verdict: advice, Name: "disk", Detail: "low", Fix: "free some"},
	}
	var js bytes.Buffer
	failed, err := reportJSON(&js, results)
	if err != nil || failed != 1 {
		t.Fatalf("reportJSON = %d, %v", failed, err)
	}
	var got doctorReport
	decode(t, js.Bytes(), &got)
	if got.Ready || got.Problems != 1 || len(got.Checks) != 3 {
		t.Fatalf("doctor JSON = %s", js.String())
	}
	if c := got.Checks[0]; c.Verdict != "ok" || c.Fix != "" {
		t.Errorf("a passing check: %+v (no fix shown, as in the text)", c)
	}
	if c := got.Checks[1]; c.Verdict != "fail" || c.Detail != "not a member" || c.Fix != "join it" {
		t.Errorf("a failing check: %+v", c)
	}
	if c := got.Checks[2]; c.Verdict != "advice" || c.Fix != "free some" {
		t.Errorf("advice: %+v", c)
	}
}
