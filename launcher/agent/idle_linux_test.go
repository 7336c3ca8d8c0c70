package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A real command keeps the agent busy; once it ends the machine is powered
// off after the idle time, and not before.
func TestWatchIdle(t *testing.T) {
	sock, srv := startServer(t, 0)
	const timeout = 300 * time.Millisecond
	var mu sync.Mutex
	var calls []time.Time
	poweroff := func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watching := make(chan struct{})
	go func() { srv.WatchIdle(ctx, timeout, poweroff); close(watching) }()

	// A command lasting three idle periods.
	r := run(t, sock, Request{Argv: []string{"sleep", "0.9"}}, nil)
	ended := time.Now()
	if r.err != nil || r.code != 0 {
		t.Fatalf("sleep: %d, %v", r.code, r.err)
	}
	mu.Lock()
	early := len(calls)
	mu.Unlock()
	if early != 0 {
		t.Fatalf("powered off while a command was running")
	}
	select {
	case <-watching:
	case <-time.After(5 * time.Second):
		t.Fatal("not powered off after the command ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("poweroff called %d times", len(calls))
	}
	if idle := calls[0].Sub(ended); idle < timeout-20*time.Millisecond {
		t.Errorf("powered off %s after the last command; want at least %s", idle, timeout)
	}
}

// A failing poweroff is tried again, one idle period later.
func TestWatchIdleRetries(t *testing.T) {
	srv := &Server{Logf: t.Logf}
	n := 0
	done := make(chan struct{})
	go func() {
		srv.WatchIdle(context.Background(), 60*time.Millisecond, func(context.Context) error {
			n++
			if n < 3 {
				return os.ErrPermission
			}
			return nil
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WatchIdle did not end after a successful poweroff")
	}
	if n != 3 {
		t.Errorf("poweroff tried %d times, want 3", n)
	}
}

func TestConfigStopWhenIdle(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "agent.conf")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := LoadConfig(write("owner_uid=1000\nstop_when_idle=1800\n"))
	if err != nil || cfg.StopWhenIdle != 30*time.Minute || cfg.OwnerUID != 1000 {
		t.Errorf("got %+v, %v", cfg, err)
	}
	if cfg, err := LoadConfig(write("owner_uid=1000\n")); err != nil || cfg.StopWhenIdle != 0 {
		t.Errorf("without stop_when_idle: %+v, %v", cfg, err)
	}
	for _, bad := range []string{"-5", "soon", "1.5", "99999999999999999999"} {
		_, err := LoadConfig(write("owner_uid=1000\nstop_when_idle=" + bad + "\n"))
		if err == nil || !strings.Contains(err.Error(), "stop_when_idle") {
			t.Errorf("stop_when_idle=%s: %v", bad, err)
		}
	}
}
