//go:build e2e && bench

package e2e

import (
	"fmt"
	"testing"
)

// TestBenchStart measures start-to-ready: `sbx start` of the shared
// machine from stopped until commands can run in it, as alice, with
// hyperfine (the machine is stopped before each run), and prints the
// median and every run's time. Run it:
//
//	go test -tags 'e2e bench' -count=1 -run TestBenchStart -v ./tests/e2e/
func TestBenchStart(t *testing.T) {
	shared(t)
	cmd := fmt.Sprintf(`cd %s && hyperfine -N --style basic --runs 15 --prepare 'sbx stop' --export-json /tmp/start.json 'sbx start' 2>&1 &&
cut -d' ' -f1-3 /proc/loadavg && tr -d ' \n' < /tmp/start.json | grep -o '"median":[^,]*\|"times":\[[^]]*\]'`, sh(sharedDir))
	out := must(t, alice, cmd)
	t.Logf("%s\n%s", cmd, out)
	if _, _, code := inShared(t, "sbx run true"); code != 0 {
		t.Errorf("the machine does not run commands after the benchmark")
	}
}
