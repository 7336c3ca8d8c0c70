//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// TestMachinePackage runs launcher/machine's own tests against the real
// systemd, machined and polkit of the test host, the way go-systemd's
// dbus tests run against real systemd: built here with go test -c, run in
// the host as alice (group sbx) on the shared machine, and the refusal
// test as bob (not in group sbx).
func TestMachinePackage(t *testing.T) {
	name := shared(t)
	bin := filepath.Join(buildDir, "machine.test")
	build := exec.CommandContext(testCtx(t), "go", "test", "-c", "-tags", "e2e", "-o", bin, "./launcher/machine")
	build.Dir = repoDir
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the machine package's tests: %v\n%s", err, out)
	}
	t.Cleanup(func() { os.Remove(bin) })
	// binDir is root's only: install a copy alice and bob can run.
	inHost := "/usr/local/bin/sbx-machine.test"
	must(t, "root", "install -m 0755 "+binDir+"/machine.test "+inHost)
	t.Cleanup(func() { asRoot(t, "rm -f "+inHost) })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r := host.Run(ctx, testhost.Spec{User: alice, Env: []string{"SBX_TEST_MACHINE=" + name},
		Argv: []string{inHost, "-test.v", "-test.count=1", "-test.skip", "TestHostNotAuthorized|TestHostManager"}})
	t.Logf("as alice:\n%s", r.Stdout)
	if r.Err != nil || r.Code != 0 {
		t.Errorf("launcher/machine tests as alice: %s", r)
	}
	for _, test := range []string{"TestHostLifecycle", "TestHostOpenLogin", "TestHostUnknownUnit", "TestHostConnectHonoursCtx"} {
		if !strings.Contains(r.Stdout, "--- PASS: "+test) {
			t.Errorf("%s did not pass", test)
		}
	}
	r = host.Run(ctx, testhost.Spec{User: bob, Env: []string{"SBX_TEST_MACHINE=" + name, "SBX_TEST_DENIED=1"},
		Argv: []string{inHost, "-test.v", "-test.count=1", "-test.run", "TestHostNotAuthorized"}})
	if r.Err != nil || r.Code != 0 || !strings.Contains(r.Stdout, "--- PASS: TestHostNotAuthorized") {
		t.Errorf("launcher/machine's refusal test as bob: %s", r)
	}
	r = host.Run(ctx, testhost.Spec{User: "root", Env: []string{"SBX_TEST_ROOT=1"},
		Argv: []string{inHost, "-test.v", "-test.count=1", "-test.run", "TestHostManager"}})
	if r.Err != nil || r.Code != 0 || !strings.Contains(r.Stdout, "--- PASS: TestHostManager") {
		t.Errorf("launcher/machine's private-connection test as root: %s", r)
	}
	// Leave the shared machine as the other tests expect it: running.
	must(t, alice, "cd "+sh(sharedDir)+" && sbx start")
}
