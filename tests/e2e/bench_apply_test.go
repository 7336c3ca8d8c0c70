//go:build e2e && bench

package e2e

import (
	"fmt"
	"testing"
	"time"
)

// TestBenchApply times what docs/BENCHMARKS.md reports for the contract:
// a create with a package set no machine had before (from the cached
// base, packages layered with apt), the same set again (the host's
// package cache warm), an apply of one added package next to apt's own
// time for it, and a rebuild from the cached base. Run it:
//
//	go test -tags 'e2e bench' -count=1 -run TestBenchApply -v ./tests/e2e/
func TestBenchApply(t *testing.T) {
	shared(t) // the trixie base is cached from here on
	const pkgs = "build-essential debhelper fakeroot git help2man texinfo"
	for i, dir := range []string{"/home/alice/src/bench-a", "/home/alice/src/bench-b"} {
		newProject(t, dir, "[Machine]\nPackages="+pkgs+"\n")
		start := time.Now()
		must(t, alice, fmt.Sprintf("cd %s && sbx create 2>&1", sh(dir)))
		took := time.Since(start)
		t.Logf("create %d with Packages=%s: %s", i+1, pkgs, took.Round(100*time.Millisecond))
		if i == 0 {
			defer asAlice(t, fmt.Sprintf("cd %s && sbx rm --force", sh(dir)))
			continue
		}
		must(t, alice, fmt.Sprintf("cd %s && sbx rm --force", sh(dir)))
	}

	dir := "/home/alice/src/bench-a"
	must(t, alice, fmt.Sprintf("cd %s && sbx start", sh(dir)))
	name := nameFromStatus(t, dir)
	for round := 0; round < 3; round++ {
		start := time.Now()
		inMachine(t, name, "apt-get install -y -q -o APT::Install-Recommends=false dc >/dev/null")
		aptTook := time.Since(start)
		inMachine(t, name, "apt-get purge -y -q dc >/dev/null")
		writeSandbox(t, dir, "[Machine]\nPackages="+pkgs+" dc\n")
		must(t, alice, fmt.Sprintf("cd %s && sbx allow >/dev/null", sh(dir)))
		start = time.Now()
		must(t, alice, fmt.Sprintf("cd %s && sbx run true", sh(dir)))
		applyTook := time.Since(start)
		t.Logf("round %d: apt-get install dc directly (nsenter): %s; sbx run applying Packages= +dc: %s",
			round+1, aptTook.Round(10*time.Millisecond), applyTook.Round(10*time.Millisecond))
		writeSandbox(t, dir, "[Machine]\nPackages="+pkgs+"\n")
		must(t, alice, fmt.Sprintf("cd %s && sbx allow >/dev/null && sbx run true", sh(dir)))
	}
	start := time.Now()
	must(t, alice, fmt.Sprintf("cd %s && sbx rebuild --force 2>&1", sh(dir)))
	t.Logf("rebuild from the cached base (same set, home carried over, old machine archived): %s", time.Since(start).Round(100*time.Millisecond))
}
