//go:build e2e && bench

package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// TestBench runs bench/exec.sh in the test host against the shared
// machine (alice's project; root for the tools only root may use) and
// prints its Markdown report. SBX_BENCH_OUT=FILE also writes the report
// there. It is a benchmark, not a timed test: it fails when the benchmark
// cannot run, not when a target is missed (the report says that). Run it:
//
//	go test -tags 'e2e bench' -count=1 -run TestBench -v ./tests/e2e/
func TestBench(t *testing.T) {
	name := shared(t)
	must(t, alice, fmt.Sprintf("cd %s && sbx run true", sh(sharedDir)))

	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	r := host.Run(ctx, testhost.Spec{User: "root", Argv: []string{"bash", srcDir + "/bench/exec.sh", alice, sharedDir}})
	if r.Err != nil || r.Code != 0 {
		t.Fatalf("bench/exec.sh: %s", r)
	}
	t.Logf("hyperfine said:\n%s", r.Stderr)
	for _, want := range []string{"| latency | `sbx run true", "| sbx run / nsenter |", "| pty, sbx in script / script |", "machine " + name} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.Stdout)
		}
	}
	fmt.Printf("\n%s\n", r.Stdout)
	if out := os.Getenv("SBX_BENCH_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(r.Stdout), 0o644); err != nil {
			t.Error(err)
		}
	}
}
