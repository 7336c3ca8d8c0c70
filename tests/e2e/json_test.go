//go:build e2e

package e2e

import (
	"encoding/json"
	"testing"
)

// TestStatusListJSON: sbx status --json and sbx list --json of a real
// machine, running and stopped, carry what the text says.
func TestStatusListJSON(t *testing.T) {
	name := shared(t)
	must(t, alice, "cd "+sh(sharedDir)+" && sbx start")
	var st map[string]any
	decodeJSON(t, must(t, alice, "cd "+sh(sharedDir)+" && sbx status --json"), &st)
	for k, want := range map[string]any{"machine": name, "state": "running", "project": sharedDir,
		"distribution": "debian", "release": "trixie", "unit": "systemd-nspawn@" + name + ".service", "unit_state": "active", "network": "host"} {
		if st[k] != want {
			t.Errorf("status --json %q = %#v, want %#v", k, st[k], want)
		}
	}
	for _, k := range []string{"since", "leader", "disk_bytes", "created", "sandbox"} {
		if st[k] == nil {
			t.Errorf("status --json of a running machine lacks %q: %v", k, st)
		}
	}
	var list []map[string]any
	decodeJSON(t, must(t, alice, "sbx list --json"), &list)
	found := false
	for _, m := range list {
		if m["name"] == name {
			found = true
			if m["state"] != "running" || m["project"] != sharedDir || m["release"] != "trixie" || m["setup"] != "ready" {
				t.Errorf("list --json entry of %s: %v", name, m)
			}
		}
	}
	if !found {
		t.Errorf("list --json lacks %s: %v", name, list)
	}

	must(t, alice, "sbx stop "+name)
	st = nil
	decodeJSON(t, must(t, alice, "sbx status --json "+name), &st)
	if st["state"] != "stopped" || st["leader"] != nil || st["since"] != nil {
		t.Errorf("status --json of a stopped machine: %v", st)
	}
	list = nil
	decodeJSON(t, must(t, alice, "sbx list --json"), &list)
	for _, m := range list {
		if m["name"] == name && m["state"] != "stopped" {
			t.Errorf("list --json says %s is %v after sbx stop", name, m["state"])
		}
	}
	must(t, alice, "sbx start "+name)
}

func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
}
