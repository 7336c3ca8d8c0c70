//go:build e2e

// Package e2e runs sbx end to end in a disposable systemd host (see
// tests/testhost): real systemd, machined, D-Bus and polkit, sbx installed
// with the project's own install.sh, driven as the non-root user alice who
// is in group sbx. Run it with: sudo tests/run.sh (or go test -tags e2e).
package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// Users and paths inside the test host that tests can rely on.
const (
	alice    = "alice" // in group sbx: the user sbx is for
	aliceUID = 1000
	aliceGID = 1000
	bob      = "bob" // not in group sbx: must be refused
	bobUID   = 1001

	srcDir    = "/src"          // the repository, read-only
	binDir    = "/sbx-build"    // the sbx built for this run, read-only
	sbxBinary = binDir + "/sbx" // passed to install.sh --binary
	sbxPath   = "/usr/local/bin/sbx"
)

// host is the test host shared by every test in the package.
var host *testhost.Host

// suite is the Debian release of the test hosts: SBX_E2E_SUITE, default
// bookworm. tests/run.sh runs a subset of the suite on trixie too.
var suite = suiteFromEnv()

func suiteFromEnv() string {
	if s := os.Getenv("SBX_E2E_SUITE"); s != "" {
		return s
	}
	return testhost.DefaultSuite
}

// repoDir and buildDir are the checkout and the directory holding the sbx
// built for this run, on the outer machine (bound at srcDir and binDir).
var repoDir, buildDir string

// installArgs is how TestMain ran install.sh; tests that uninstall run it
// again the same way to leave the host as they found it.
var installArgs = []string{srcDir + "/install.sh", "--binary", sbxBinary, "--user", alice}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

// runMain boots the host and installs sbx in it. If that fails the suite
// fails with the reason: it never skips.
func runMain(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "e2e: "+format+"\n", a...)
		return 1
	}

	repo, err := repoRoot()
	if err != nil {
		return fail("%v", err)
	}
	build, err := os.MkdirTemp("", "sbx-e2e-build-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(build)
	if err := buildSbx(ctx, repo, filepath.Join(build, "sbx")); err != nil {
		return fail("%v", err)
	}
	repoDir, buildDir = repo, build

	// Bare installs run alongside the whole suite: bound them on their own.
	flag.Parse()
	bctx, bcancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer bcancel()
	if wantsTest("TestInstallOnBareHost") {
		bareInstalls[suite] = startBareInstall(bctx, suite)
	}
	code := runOnHost(m)
	for suite, b := range bareInstalls {
		<-b.done
		if b.host == nil {
			continue
		}
		if err := b.host.Close(); err != nil { // a no-op when the test closed it
			fmt.Fprintf(os.Stderr, "e2e: closing the bare %s host: %v\n", suite, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// runOnHost boots the shared host, runs the tests and closes the host.
func runOnHost(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	h, err := bootHost(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	host = h
	fmt.Fprintf(os.Stderr, "e2e: %s test host ready with sbx installed in %s\n", suite, time.Since(start).Round(100*time.Millisecond))
	code := m.Run()
	if err := reportTimings(os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	if err := h.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: closing the test host: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// bootHost boots a test host with the checkout and the built sbx bound
// in, creates the users (before install.sh, which adds alice to sbx) and
// installs sbx the way a user would. On failure nothing is left running.
func bootHost(ctx context.Context) (*testhost.Host, error) {
	h, err := testhost.Boot(ctx, testhost.Options{
		Log:   os.Stderr,
		Suite: suite,
		Binds: []testhost.Bind{
			{Source: repoDir, Target: srcDir, ReadOnly: true},
			{Source: buildDir, Target: binDir, ReadOnly: true},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot boot the systemd %s test host: %w", suite, err)
	}
	users := fmt.Sprintf(`set -e
groupadd -g %[1]d %[2]s
useradd -m -u %[1]d -g %[1]d -s /bin/bash %[2]s
groupadd -g %[3]d %[4]s
useradd -m -u %[3]d -g %[3]d -s /bin/bash %[4]s
`, aliceUID, alice, bobUID, bob)
	if r := h.Sh(ctx, "root", users); r.Err != nil || r.Code != 0 {
		return nil, errors.Join(fmt.Errorf("creating users in the test host: %s", r), h.Close())
	}
	r := h.Exec(ctx, "root", installArgs...)
	if r.Err != nil || r.Code != 0 {
		return nil, errors.Join(fmt.Errorf("%s failed in the test host: %s", installArgs, r), h.Close())
	}
	fmt.Fprintf(os.Stderr, "e2e: install.sh in %s said:\n%s%s", h.Name(), r.Stdout, r.Stderr)
	return h, nil
}

// buildSbx builds the static binary the way a release would.
func buildSbx(ctx context.Context, repo, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/sbx")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building sbx: %w\n%s", err, b)
	}
	return nil
}

// repoRoot finds the checkout from the test's directory (tests/e2e).
func repoRoot() (string, error) {
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "install.sh")); err != nil {
		return "", fmt.Errorf("cannot find the repository root from %s: %w", dir, err)
	}
	return dir, nil
}

// testCtx bounds one test's commands; the suite's own timeout is the backstop.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// as runs a /bin/sh script in the shared test host as user (in the user's
// home, with a clean login environment) and returns its output and exit
// status. It fails the test only if the script could not be run at all.
func as(t *testing.T, user, script string) (stdout, stderr string, code int) {
	t.Helper()
	return asOn(t, host, user, script)
}

// asAlice runs script as alice, the member of group sbx.
func asAlice(t *testing.T, script string) (stdout, stderr string, code int) {
	t.Helper()
	return asOn(t, host, alice, script)
}

// asRoot runs script as root in the test host.
func asRoot(t *testing.T, script string) (stdout, stderr string, code int) {
	t.Helper()
	return asOn(t, host, "root", script)
}

// must runs script as user and fails the test unless it exits 0; it
// returns stdout.
func must(t *testing.T, user, script string) string {
	t.Helper()
	return mustOn(t, host, user, script)
}

// waitUntil polls script as user until it exits 0, for state that settles
// asynchronously (polkit reloading its rules); it returns the last output.
func waitUntil(t *testing.T, user, script string, timeout time.Duration) string {
	t.Helper()
	return waitUntilOn(t, host, user, script, timeout)
}

// asOn is as on a given host (one a test booted for itself).
func asOn(t *testing.T, h *testhost.Host, user, script string) (stdout, stderr string, code int) {
	t.Helper()
	r := h.Sh(testCtx(t), user, script)
	if r.Err != nil {
		t.Fatalf("running as %s: %s\nscript:\n%s", user, r, script)
	}
	return r.Stdout, r.Stderr, r.Code
}

// mustOn is must on a given host.
func mustOn(t *testing.T, h *testhost.Host, user, script string) string {
	t.Helper()
	stdout, stderr, code := asOn(t, h, user, script)
	if code != 0 {
		t.Fatalf("as %s: exit %d\nscript:\n%s\n--- stdout:\n%s\n--- stderr:\n%s", user, code, script, stdout, stderr)
	}
	return stdout
}

// waitUntilOn is waitUntil on a given host.
func waitUntilOn(t *testing.T, h *testhost.Host, user, script string, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		stdout, stderr, code := asOn(t, h, user, script)
		if code == 0 {
			return stdout
		}
		if time.Now().After(deadline) {
			t.Fatalf("as %s: still exit %d after %s\nscript:\n%s\n--- stdout:\n%s\n--- stderr:\n%s",
				user, code, timeout, script, stdout, stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
