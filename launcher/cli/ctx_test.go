package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCtx is a Ctx for dispatching whole commands: HOME and the trust
// store in dir, output in the returned buffer.
func testCtx(t *testing.T, dir string, env Env) (*Ctx, *bytes.Buffer) {
	t.Helper()
	var errOut bytes.Buffer
	e := Env{"HOME": filepath.Join(dir, "home"), "XDG_DATA_HOME": filepath.Join(dir, "data")}
	for k, v := range env {
		e[k] = v
	}
	return &Ctx{Env: e, IO: IO{Out: &bytes.Buffer{}, Err: &errOut}, ctx: context.Background()}, &errOut
}

// stayPut fails the test if the process's directory changed by the end.
func stayPut(t *testing.T) {
	t.Helper()
	before, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if now, _ := os.Getwd(); now != before {
			t.Errorf("the process's directory changed from %s to %s", before, now)
			os.Chdir(before) // best effort: for the tests that follow
		}
	})
}

// fakeExec records what execIn would have run instead of sbx.
type fakeExec struct {
	dir, path string
	argv, env []string
}

func catchExec(t *testing.T) *fakeExec {
	f := &fakeExec{}
	old := execIn
	execIn = func(dir, path string, argv, env []string) error {
		f.dir, f.path, f.argv, f.env = dir, path, argv, env
		return nil
	}
	t.Cleanup(func() { execIn = old })
	return f
}

// TestShellDashCOutsideAProject: sbx shell -C DIR outside any project
// starts the host shell in DIR with sbx's environment (c.Env, not the
// process's), and sbx itself never changes directory.
func TestShellDashCOutsideAProject(t *testing.T) {
	stayPut(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "elsewhere")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SBX_TEST_PROCESS_ONLY", "leaked")
	ran := catchExec(t)
	c, _ := testCtx(t, tmp, Env{"SHELL": "/bin/zsh", "SBX_TEST_PASSED": "1"})
	if err := dispatch(c, []string{"shell", "-C", dir}); err != nil {
		t.Fatal(err)
	}
	if ran.dir != dir || ran.path != "/bin/zsh" || !slices.Equal(ran.argv, []string{"-zsh"}) {
		t.Errorf("exec'd %s %q in %q; want /bin/zsh [-zsh] in %s", ran.path, ran.argv, ran.dir, dir)
	}
	if !slices.Contains(ran.env, "SBX_TEST_PASSED=1") || slices.Contains(ran.env, "SBX_TEST_PROCESS_ONLY=leaked") {
		t.Errorf("host shell's environment %q: want c.Env's, not the process's", ran.env)
	}
}

// TestRunDashCFindsTheProjectThere: sbx run -C DIR looks for the project
// in DIR (here: finds its untrusted .sandbox), relative to where sbx
// works, without a chdir.
func TestRunDashCFindsTheProjectThere(t *testing.T) {
	stayPut(t)
	tmp := t.TempDir()
	proj := filepath.Join(tmp, "proj")
	makeProject(t, proj, "[Machine]\n")
	if err := os.Mkdir(filepath.Join(proj, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, _ := testCtx(t, tmp, nil)
	c.Dir = tmp // as if sbx started there: -C proj/sub is relative to it
	err := dispatch(c, []string{"run", "-C", "proj/sub", "true"})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(proj, ".sandbox")+" is not trusted") {
		t.Fatalf("sbx run -C proj/sub: %v; want proj's .sandbox named as not trusted", err)
	}
	if want := filepath.Join(proj, "sub"); c.Dir != want {
		t.Errorf("c.Dir = %q, want %q", c.Dir, want)
	}
	if err := dispatch(c, []string{"run", "-C", "nosuch", "true"}); err == nil || !strings.Contains(err.Error(), "-C nosuch: ") {
		t.Errorf("sbx run -C nosuch: %v; want a -C error", err)
	}
	// As chdir: ".." after a link is the parent of the link's target.
	if err := os.Symlink(filepath.Join(proj, "sub"), filepath.Join(tmp, "link")); err != nil {
		t.Fatal(err)
	}
	c.Dir = tmp
	if err := c.setDir("link/../sub"); err != nil || c.Dir != filepath.Join(proj, "sub") {
		t.Errorf("-C link/../sub: dir %q, %v; want %s", c.Dir, err, filepath.Join(proj, "sub"))
	}
}

// TestCancelStopsALifecycleWait: a start whose machine never gets ready
// ends when c's context is cancelled, not at its own timeout.
func TestCancelStopsALifecycleWait(t *testing.T) {
	f := newFakeBus()
	fakeAgent(t, f)
	f.onStart = all(unitIs(fm, "active", "running"), machineIs(fm, "opening", 7))
	c, _ := fakeCtx()
	ctx, cancel := context.WithCancel(context.Background())
	c = c.withContext(ctx)
	sc, stop := c.within(time.Hour)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- sc.start(f, readyTarget()) }()
	time.AfterFunc(20*time.Millisecond, cancel)
	select {
	case err := <-done:
		wantErr(t, err, "was not ready", "journalctl")
	case <-time.After(10 * time.Second):
		t.Fatal("start still waits after its context was cancelled")
	}
}

// TestUntilSignal: a caught signal ends the context and says which; the
// stop function ends it without one.
func TestUntilSignal(t *testing.T) {
	c, _ := fakeCtx()
	ctx, stop := c.untilSignal(syscall.SIGHUP)
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP did not end the context")
	}
	if got := caught(ctx); got != syscall.SIGHUP {
		t.Errorf("caught %v, want SIGHUP", got)
	}
	ctx2, stop2 := c.untilSignal(syscall.SIGHUP)
	stop2()
	<-ctx2.Done()
	if got := caught(ctx2); got != nil {
		t.Errorf("after stop: caught %v, want none", got)
	}
}
