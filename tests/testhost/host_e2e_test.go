//go:build e2e

package testhost

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostLifecycle boots a real host and checks what the e2e suite relies
// on: systemd up, identities and environment of Exec, signal dispositions,
// exit statuses, binds, cancellation, tmux, and that Close leaves nothing.
func TestHostLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bindDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(bindDir, "hello"), []byte("from outside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := Boot(ctx, Options{Log: testLog{t}, Binds: []Bind{{Source: bindDir, Target: "/outer", ReadOnly: true}}})
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = h.Close() // best effort after a failure
		}
	}()

	mustSh := func(user, script string) string {
		t.Helper()
		r := h.Sh(ctx, user, script)
		if r.Err != nil || r.Code != 0 {
			t.Fatalf("%s as %s: %s", script, user, r)
		}
		return r.Stdout
	}

	if got := mustSh("root", "systemctl is-system-running || true"); !regexp.MustCompile(`^(running|degraded)\n$`).MatchString(got) {
		t.Errorf("system state = %q, want running or degraded", got)
	}
	if got := mustSh("root", "cat /proc/1/comm"); got != "systemd\n" {
		t.Errorf("PID 1 in the host = %q, want systemd", got)
	}
	mustSh("root", "groupadd -g 1500 extra && useradd -m -u 1234 -G extra -s /bin/bash carol")

	t.Run("identity and clean environment", func(t *testing.T) {
		t.Setenv("SBX_TESTHOST_LEAK", "leaked")
		got := mustSh("carol", `echo "$(id -u) $(id -g) $(id -G) $(pwd) $HOME $USER"; env | sort`)
		first, env, _ := strings.Cut(got, "\n")
		if want := "1234 1234 1234 1500 /home/carol /home/carol carol"; first != want {
			t.Errorf("identity = %q, want %q", first, want)
		}
		if strings.Contains(env, "SBX_TESTHOST_LEAK") || strings.Contains(env, "TERM=") {
			t.Errorf("environment leaked into the host:\n%s", env)
		}
		r := h.Run(ctx, Spec{User: "carol", Dir: "/tmp", Env: []string{"A=b c"}, Argv: []string{"sh", "-c", `echo "$A" "$(pwd)"`}})
		if r.Stdout != "b c /tmp\n" {
			t.Errorf("Spec Env/Dir: %s", r)
		}
	})

	t.Run("default signal dispositions", func(t *testing.T) {
		signal.Ignore(syscall.SIGINT, syscall.SIGQUIT)
		defer signal.Reset(syscall.SIGINT, syscall.SIGQUIT)
		got := mustSh("carol", "grep SigIgn /proc/self/status")
		if got != "SigIgn:\t0000000000000000\n" {
			t.Errorf("ignored signals in the host = %q, want none", got)
		}
	})

	t.Run("exit statuses, stdin, stderr", func(t *testing.T) {
		if r := h.Sh(ctx, "carol", "echo out; echo err >&2; exit 42"); r.Code != 42 || r.Stdout != "out\n" || r.Stderr != "err\n" {
			t.Errorf("exit 42: %s", r)
		}
		if r := h.Sh(ctx, "carol", "kill -9 $$"); r.Code != 137 {
			t.Errorf("killed by SIGKILL: %s", r)
		}
		r := h.Run(ctx, Spec{User: "carol", Stdin: strings.NewReader("a\nb\n"), Argv: []string{"wc", "-l"}})
		if strings.TrimSpace(r.Stdout) != "2" {
			t.Errorf("stdin: %s", r)
		}
		if r := h.Exec(ctx, "nobody-here", "true"); r.Err == nil || r.Code != -1 {
			t.Errorf("unknown user: %s", r)
		}
	})

	t.Run("read-only bind", func(t *testing.T) {
		if got := mustSh("root", "cat /outer/hello"); got != "from outside\n" {
			t.Errorf("bound file = %q", got)
		}
		if r := h.Sh(ctx, "root", "touch /outer/new"); r.Code == 0 {
			t.Errorf("writing into a read-only bind worked: %s", r)
		}
	})

	t.Run("WriteFile and ReadFile", func(t *testing.T) {
		if err := h.WriteFile(ctx, "carol", "/home/carol/f", []byte("x\ny"), 0o640); err != nil {
			t.Fatal(err)
		}
		if got := mustSh("root", "stat -c '%U %a' /home/carol/f"); got != "carol 640\n" {
			t.Errorf("owner and mode = %q", got)
		}
		data, err := h.ReadFile(ctx, "carol", "/home/carol/f")
		if err != nil || string(data) != "x\ny" {
			t.Errorf("ReadFile = %q, %v", data, err)
		}
	})

	t.Run("cancellation kills the command in the host", func(t *testing.T) {
		short, stop := context.WithTimeout(ctx, 500*time.Millisecond)
		defer stop()
		start := time.Now()
		r := h.Exec(short, "carol", "sleep", "1234")
		if r.Err == nil || time.Since(start) > 5*time.Second {
			t.Errorf("cancelled command: %s after %s", r, time.Since(start))
		}
		if got := h.Sh(ctx, "root", "pgrep -x -f 'sleep 1234' || echo none"); got.Stdout != "none\n" {
			t.Errorf("sleep still running in the host: %s", got)
		}
	})

	t.Run("tmux", func(t *testing.T) {
		tm, err := h.NewTmux("carol", 91, 27, "bash", "--noprofile", "--norc")
		if err != nil {
			t.Fatal(err)
		}
		defer tm.Close()
		if err := tm.SendLine("echo sum=$((40+2)); stty size"); err != nil {
			t.Fatal(err)
		}
		if _, err := tm.WaitFor(`sum=42\n27 91`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := tm.Resize(100, 30); err != nil {
			t.Fatal(err)
		}
		if err := tm.SendLine("stty size; exit 3"); err != nil {
			t.Fatal(err)
		}
		if _, err := tm.WaitFor(`30 100`, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if status, err := tm.WaitExit(30 * time.Second); err != nil || status != 3 {
			t.Errorf("exit status in tmux = %d, %v; want 3", status, err)
		}
	})

	// A process left running inside must not survive Close.
	mustSh("carol", "setsid sleep 4321 >/dev/null 2>&1 < /dev/null &")
	root, leader, cgroups, name := h.Root(), h.Leader(), h.cg.Dirs, h.Name()
	closed = true
	if err := h.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(root)); !os.IsNotExist(err) {
		t.Errorf("run directory %s still there (%v)", filepath.Dir(root), err)
	}
	if err := syscall.Kill(leader, 0); err == nil {
		t.Errorf("the host's PID 1 (%d) is still alive", leader)
	}
	for _, d := range cgroups {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still there", d)
		}
	}
	if out, _ := exec.Command("pgrep", "-f", "sleep 4321").Output(); len(out) > 0 {
		t.Errorf("a process of the host survived Close: %s", out)
	}
	if m := mountsUnder(filepath.Dir(root)); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	if !strings.Contains(h.Console(), "Welcome to") {
		t.Errorf("console output not kept after Close:\n%s", tail(h.Console(), 20))
	}
	t.Logf("closed %s; console ends with:\n%s", name, tail(h.Console(), 15))
}

// TestCleanStale fakes a run whose test process died, with a live process
// in its cgroups, and checks that CleanStale removes all of it.
func TestCleanStale(t *testing.T) {
	cache := t.TempDir()
	dir := filepath.Join(cache, "runs", "sbx-testhost-stale")
	if err := os.MkdirAll(filepath.Join(dir, "rootfs", "etc"), 0o700); err != nil {
		t.Fatal(err)
	}
	cg, err := newCgroupSet("sbx-testhost-stale-" + strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after a failure: no process or cgroup left behind
		cg.killAll()
		_ = removeCgroupsRetrying(cg)
	})
	sleeper := exec.Command("/bin/sh", "-c", `for f; do echo $$ > "$f"; done; exec sleep 1000`, "sh")
	sleeper.Args = append(sleeper.Args, cg.procsFiles()...)
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { _ = sleeper.Wait(); close(waited) }()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	h := &Host{runDir: dir, cg: cg}
	if err := h.saveState(); err != nil {
		t.Fatal(err)
	}
	// Rewrite the owner as the finished `true`: a dead test process.
	state, _ := os.ReadFile(filepath.Join(dir, "state.json"))
	state = regexp.MustCompile(`"owner_pid":\d+`).ReplaceAll(state, []byte(`"owner_pid":`+strconv.Itoa(dead.Process.Pid)))
	if err := os.WriteFile(filepath.Join(dir, "state.json"), state, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := 0; len(cg.pids()) == 0; i++ {
		if i == 100 {
			t.Fatalf("the sleeper did not join the cgroups")
		}
		time.Sleep(20 * time.Millisecond) // polled: the shell joins after Start returns
	}

	if err := CleanStale(cache, testLog{t}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Error("the stale run's process was not killed")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("stale run directory still there")
	}
	for _, d := range cg.Dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("stale cgroup %s still there", d)
		}
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
