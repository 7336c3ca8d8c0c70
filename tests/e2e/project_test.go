//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The shared project: most tests run commands in one machine, created once
// (cold, from the mirror) by the first test that needs it.
const (
	sharedDir = "/home/alice/src/shared proj" // a space in the path, on purpose
)

var (
	// timings measured along the way, reported by TestMain (reportTimings).
	timings   = map[string]time.Duration{}
	timingsMu sync.Mutex
)

func record(what string, d time.Duration) {
	timingsMu.Lock()
	defer timingsMu.Unlock()
	timings[what] = d
}

// sh quotes s for a POSIX shell.
func sh(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// newProject makes dir (as alice) with the given .sandbox and trusts it.
func newProject(t *testing.T, dir, sandbox string) {
	t.Helper()
	must(t, alice, fmt.Sprintf("mkdir -p %[1]s && cd %[1]s && printf '%%s' %[2]s > .sandbox && sbx allow >/dev/null", sh(dir), sh(sandbox)))
}

// machineName asks sbx for the machine name of the project at dir.
var nameRE = regexp.MustCompile(`(?m)^Machine:\s+(\S+)`)

func createProject(t *testing.T, dir string) (name string, took time.Duration) {
	t.Helper()
	start := time.Now()
	out := must(t, alice, fmt.Sprintf("cd %s && sbx create 2>&1", sh(dir)))
	took = time.Since(start)
	m := regexp.MustCompile(`machine (\S+) is ready`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sbx create did not say the machine is ready:\n%s", out)
	}
	return m[1], took
}

// onceMachine is a machine several tests share, made by the first test
// that needs it (make returns its name). When that fails, every later test
// fails at once, pointing at the first.
type onceMachine struct {
	what string // "the shared machine", for that message
	make func(t *testing.T) string
	once sync.Once
	name string
}

// get returns the machine's name, making it first if no test did yet.
func (m *onceMachine) get(t *testing.T) string {
	t.Helper()
	m.once.Do(func() { m.name = m.make(t) })
	if m.name == "" {
		t.Fatalf("%s could not be made (see the first test that tried)", m.what)
	}
	return m.name
}

// sharedMachine is the shared project's machine, created and started.
var sharedMachine = &onceMachine{what: "the shared machine", make: func(t *testing.T) string {
	newProject(t, sharedDir, "[Machine]\nPackages=python3-minimal\n\n[Exec]\nEnvironment=FROM_SANDBOX=yes\n")
	name, took := createProject(t, sharedDir)
	record("create, cold (mmdebstrap from the mirror)", took)
	start := time.Now()
	must(t, alice, fmt.Sprintf("cd %s && sbx start", sh(sharedDir)))
	record("start until ready", time.Since(start))
	return name
}}

// shared returns the shared project's machine, created and started.
func shared(t *testing.T) string { return sharedMachine.get(t) }

// inShared runs script as alice in the shared project directory.
func inShared(t *testing.T, script string) (stdout, stderr string, code int) {
	t.Helper()
	shared(t)
	return asAlice(t, fmt.Sprintf("cd %s && %s", sh(sharedDir), script))
}
