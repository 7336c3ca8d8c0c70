//go:build e2e

package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// A bare host is a test host with nothing but apt and sudo: no Go at all.
// alice installs sbx there exactly as README says (sudo ./install.sh in the
// checkout), which must fetch a Go toolchain itself. That takes minutes
// (packages, toolchain, modules, build), so TestMain starts it in the
// background while the other tests run, and the test waits for it. This
// file's name makes it run after the others (Go runs tests in file order),
// before zz_report_test.go.

// bareInstall is one bare host's install, started by startBareInstall.
type bareInstall struct {
	suite  string
	done   chan struct{}
	host   *testhost.Host
	result testhost.Result // of sudo ./install.sh
	took   time.Duration   // of sudo ./install.sh
	err    error           // booting or preparing the host
}

// bareInstalls are the installs TestMain started, by suite.
var bareInstalls = map[string]*bareInstall{}

// wantsTest reports whether -run selects the top-level test name, so
// TestMain starts background work only for tests that will wait for it.
func wantsTest(name string) bool {
	f := flag.Lookup("test.run")
	if f == nil || f.Value.String() == "" {
		return true
	}
	pattern, _, _ := strings.Cut(f.Value.String(), "/")
	ok, err := regexp.MatchString(pattern, name)
	return err != nil || ok
}

// startBareInstall boots a bare host of suite and runs the install in it,
// in the background.
func startBareInstall(ctx context.Context, suite string) *bareInstall {
	b := &bareInstall{suite: suite, done: make(chan struct{})}
	go func() {
		defer close(b.done)
		b.host, b.err = bootBareHost(ctx, suite)
		if b.err != nil {
			return
		}
		start := time.Now()
		b.result = b.host.Run(ctx, testhost.Spec{User: alice, Dir: srcDir,
			Argv: []string{"/bin/sh", "-c", "sudo ./install.sh"}})
		b.took = time.Since(start)
		fmt.Fprintf(os.Stderr, "e2e: sudo ./install.sh on the bare %s host took %s\n", suite, b.took.Round(time.Second))
	}()
	return b
}

// bootBareHost boots a host with the checkout at /src, alice with sudo
// rights, and the outer machine's CA bundle (see below).
func bootBareHost(ctx context.Context, suite string) (*testhost.Host, error) {
	h, err := testhost.Boot(ctx, testhost.Options{
		Log:      os.Stderr,
		Suite:    suite,
		Hostname: "sbx-bare",
		Binds:    []testhost.Bind{{Source: repoDir, Target: srcDir, ReadOnly: true}},
	})
	if err != nil {
		return nil, fmt.Errorf("cannot boot the bare %s test host: %w", suite, err)
	}
	setup := fmt.Sprintf(`set -e
! command -v go && ! test -e /usr/local/go && ! ls -d /usr/lib/go-* 2>/dev/null
groupadd -g %[1]d %[2]s
useradd -m -u %[1]d -g %[1]d -s /bin/bash %[2]s
echo '%[2]s ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/%[2]s
`, aliceUID, alice)
	if r := h.Sh(ctx, "root", setup); r.Err != nil || r.Code != 0 {
		return nil, errors.Join(fmt.Errorf("preparing the bare %s host (it must have no Go): %s", suite, r), h.Close())
	}
	// This outer machine reaches the Go module proxy through a TLS proxy
	// whose CA is only in the bundle $SSL_CERT_FILE names; a user's host
	// needs none of this.
	if bundle := os.Getenv("SSL_CERT_FILE"); bundle != "" {
		data, err := os.ReadFile(bundle)
		if err == nil {
			err = os.WriteFile(filepath.Join(h.Root(), "etc/ssl/certs/ca-certificates.crt"), data, 0o644)
		}
		if err != nil {
			return nil, errors.Join(fmt.Errorf("giving the bare host this machine's CA bundle: %w", err), h.Close())
		}
	}
	return h, nil
}

// wait returns the finished install, its host closed when the test ends.
func (b *bareInstall) wait(t *testing.T) *testhost.Host {
	t.Helper()
	if b == nil {
		t.Fatal("TestMain did not start the bare host install")
	}
	select {
	case <-b.done:
	case <-testCtx(t).Done():
		t.Fatal("the bare host install did not finish in time")
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	t.Cleanup(func() {
		if err := b.host.Close(); err != nil {
			t.Errorf("closing the bare host: %v", err)
		}
	})
	return b.host
}

// TestInstallOnBareHost: README's install on a host without Go ends with a
// working sbx for alice; --uninstall then removes the Go packages and the
// apt source install.sh added, and nothing else. On Debian 12 that means
// bookworm-backports; Debian 13 packages a new enough Go itself.
func TestInstallOnBareHost(t *testing.T) {
	b := bareInstalls[suite]
	h := b.wait(t)
	r := b.result
	if r.Err != nil || r.Code != 0 {
		t.Fatalf("sudo ./install.sh on a bare host: %s", r)
	}
	out := r.Stdout + r.Stderr
	t.Logf("sudo ./install.sh took %s:\n%s", b.took.Round(time.Second), out)
	record("install on a bare "+suite+" host, Go toolchain included", b.took)
	backports := "/etc/apt/sources.list.d/sbx-" + suite + "-backports.list"
	wants := []string{"installing golang-1.2", "building sbx from /src", "added alice to group sbx", "sbx is installed"}
	stateWants := []string{"deb golang-1.2"}
	if suite == "bookworm" {
		wants = append(wants, "adding the apt source bookworm-backports in "+backports)
		stateWants = append(stateWants, "apt-source "+backports)
	} else if strings.Contains(out, "adding the apt source") {
		t.Errorf("install.sh added an apt source on %s, whose own Go is new enough", suite)
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("install.sh's output lacks %q", want)
		}
	}
	must := func(user, script string) string { t.Helper(); return mustOn(t, h, user, script) }

	// alice, in a new login, has sbx and a host that is ready for it.
	if v := must(alice, "sbx version"); !regexp.MustCompile(`^sbx devel`).MatchString(v) {
		t.Errorf("sbx version = %q", v)
	}
	if doc := must(alice, "sbx doctor"); !strings.Contains(doc, "ready for sbx") {
		t.Errorf("sbx doctor as alice:\n%s", doc)
	}
	// Nothing of the build is left in root's home or /var/tmp.
	if left := must("root", "ls -A /root /var/tmp"); strings.Contains(left, "go") || strings.Contains(left, "sbx-install") {
		t.Errorf("the build left files behind:\n%s", left)
	}
	state := must("root", "cat /var/lib/sbx/install.state")
	for _, want := range stateWants {
		if !strings.Contains(state, want) {
			t.Errorf("install.state lacks %q:\n%s", want, state)
		}
	}

	// A machine, and a command in it.
	must(alice, `mkdir -p ~/proj && cd ~/proj && printf '[Machine]\n' > .sandbox && sbx allow >/dev/null`)
	if got := must(alice, "cd ~/proj && sbx run sh -c 'echo $(id -un) in $PWD' 2>/dev/null"); got != "alice in /home/alice/proj\n" {
		t.Errorf("sbx run in the new machine said %q", got)
	}
	must(alice, "cd ~/proj && sbx rm --force")

	out = must("root", "cd /src && ./install.sh --uninstall")
	if !strings.Contains(out, "removing packages install.sh installed: golang-1.2") {
		t.Errorf("uninstall does not say it removes the Go packages:\n%s", out)
	}
	must("root", `! ls -d /usr/lib/go-* 2>/dev/null; ! dpkg -l 'golang-*' 2>/dev/null | grep -q ^ii
! test -e `+backports+`; ! test -e /var/lib/sbx/install.state
dpkg -l systemd-container | grep -q ^ii`)
}
