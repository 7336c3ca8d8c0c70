//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"io"
	"sort"
)

// reportTimings prints what the tests measured; TestMain calls it after
// m.Run, so it sees every test whatever their order (-shuffle). When the
// whole suite ran (no -run), it also returns an error if the main
// measurements are missing: the tests that take them did not run.
func reportTimings(w io.Writer) error {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	var keys []string
	for k := range timings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "e2e: timings")
	for _, k := range keys {
		fmt.Fprintf(w, "  %-50s %s\n", k, timings[k].Round(10e6))
	}
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		return nil
	}
	for _, need := range []string{"create, cold (mmdebstrap from the mirror)", "start until ready"} {
		if _, ok := timings[need]; !ok {
			return fmt.Errorf("no measurement of %q", need)
		}
	}
	return nil
}
