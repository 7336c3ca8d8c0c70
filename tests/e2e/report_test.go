//go:build e2e

package e2e

import (
	"sort"
	"testing"
)

// TestZZReportTimings prints what the other tests measured (it runs last:
// Go runs tests in file order). It fails if the main measurements are
// missing, which means the tests that take them did not run.
func TestZZReportTimings(t *testing.T) {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	var keys []string
	for k := range timings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-50s %s", k, timings[k].Round(10e6))
	}
	for _, need := range []string{"create, cold (mmdebstrap from the mirror)", "start until ready"} {
		if _, ok := timings[need]; !ok {
			t.Errorf("no measurement of %q", need)
		}
	}
}
