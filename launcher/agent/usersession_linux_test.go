package agent

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func TestUserSessionEnv(t *testing.T) {
	base := t.TempDir()
	linger := t.TempDir()
	u := guestUser{Name: "alice", UID: 1000}
	enabled := 0
	us := &userSessions{LingerDir: linger, RuntimeBase: base, Enable: func(ctx context.Context, name string) error {
		enabled++
		if name != "alice" {
			t.Errorf("linger enabled for %q", name)
		}
		// What logind and user@1000.service do.
		dir := filepath.Join(base, "1000")
		os.MkdirAll(filepath.Join(dir, "systemd"), 0o755)
		os.WriteFile(filepath.Join(dir, "systemd", "private"), nil, 0o600)
		os.WriteFile(filepath.Join(dir, "bus"), nil, 0o600)
		return nil
	}, Up: func(_ context.Context, uid int) bool {
		_, err := os.Stat(filepath.Join(base, strconv.Itoa(uid), "systemd", "private"))
		return err == nil
	}}
	want := []string{"XDG_RUNTIME_DIR=" + filepath.Join(base, "1000"), "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(base, "1000", "bus")}
	for i := 0; i < 2; i++ {
		if got := us.env(u); !slices.Equal(got, want) {
			t.Fatalf("env = %q, want %q", got, want)
		}
	}
	if enabled != 1 {
		t.Errorf("linger enabled %d times, want 1", enabled)
	}
	if got := us.env(guestUser{Name: "root"}); got != nil {
		t.Errorf("root got session variables %q", got)
	}
}

func TestUserSessionUnavailable(t *testing.T) {
	calls := 0
	us := &userSessions{LingerDir: t.TempDir(), RuntimeBase: t.TempDir(), Enable: func(context.Context, string) error {
		calls++
		return os.ErrNotExist
	}}
	for i := 0; i < 3; i++ {
		if got := us.env(guestUser{Name: "bob", UID: 1001}); got != nil {
			t.Fatalf("env without logind = %q, want none", got)
		}
	}
	if calls != 1 {
		t.Errorf("asked logind %d times, want once", calls)
	}
}

func TestLinkSbx(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "bin", "sbx")
	if err := linkSbx(link, "/usr/local/lib/sbx/sbx"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.Readlink(link); got != "/usr/local/lib/sbx/sbx" {
		t.Fatalf("link = %q", got)
	}
	mine := filepath.Join(dir, "mine")
	os.WriteFile(mine, []byte("x"), 0o755)
	if err := linkSbx(mine, "/usr/local/lib/sbx/sbx"); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(mine); string(data) != "x" {
		t.Fatal("an existing file was replaced")
	}
}

// BenchmarkUserSessionEnvWarm is what joining the session costs a command
// once the session is up (the warm sbx run path).
func BenchmarkUserSessionEnvWarm(b *testing.B) {
	base := b.TempDir()
	dir := filepath.Join(base, "1000")
	os.MkdirAll(filepath.Join(dir, "systemd"), 0o755)
	os.WriteFile(filepath.Join(dir, "bus"), nil, 0o600)
	us := &userSessions{LingerDir: b.TempDir(), RuntimeBase: base, Up: func(context.Context, int) bool { return true },
		Enable: func(context.Context, string) error { return nil }}
	u := guestUser{Name: "alice", UID: 1000}
	us.env(u)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(us.env(u)) != 2 {
			b.Fatal("no session")
		}
	}
}
