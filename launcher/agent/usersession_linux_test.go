package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeUnits plays systemd, PAM and logind for the session holders: Start
// makes a holder process in a new session-cN.scope, as the real ones do.
type fakeUnits struct {
	files  sessionFiles
	next   int
	pid    int // the holder's main pid; 0: not running
	starts int
	stops  int
	pam    string
	fail   error
}

func newFakeUnits(t testing.TB) *fakeUnits {
	d := t.TempDir()
	f := &fakeUnits{files: sessionFiles{Proc: d + "/proc", Cgroup: d + "/cgroup", Sessions: d + "/sessions", PAM: d + "/pam.d"}}
	for _, dir := range []string{f.files.Proc, f.files.Cgroup, f.files.Sessions, f.files.PAM} {
		os.MkdirAll(dir, 0o755)
	}
	return f
}

func (f *fakeUnits) MainPID(context.Context, string) (int, error) { return f.pid, nil }

func (f *fakeUnits) Start(_ context.Context, unit string, u guestUser, pam string) error {
	if f.fail != nil {
		return f.fail
	}
	if unit != "sbx-session-1000.service" || u.Name != "alice" {
		return fmt.Errorf("unexpected holder %s for %s", unit, u.Name)
	}
	f.starts++
	f.next++
	f.pam = pam
	f.pid = 4000 + f.next
	id := fmt.Sprintf("c%d", f.next)
	cg := "/user.slice/user-1000.slice/session-" + id + ".scope"
	os.MkdirAll(f.files.Cgroup+cg, 0o755)
	proc := filepath.Join(f.files.Proc, fmt.Sprint(f.pid))
	os.MkdirAll(proc, 0o755)
	os.WriteFile(proc+"/cgroup", []byte("0::"+cg+"\n"), 0o644)
	os.WriteFile(proc+"/environ", []byte("PATH=/usr/bin\x00XDG_SESSION_ID="+id+"\x00XDG_SESSION_CLASS=user\x00XDG_SESSION_TYPE=tty\x00XDG_RUNTIME_DIR=/run/user/1000\x00HOME=/home/alice\x00"), 0o644)
	f.setState(id, "active")
	return nil
}

func (f *fakeUnits) Stop(context.Context, string) error {
	f.stops++
	f.pid = 0
	return nil
}

func (f *fakeUnits) setState(id, state string) {
	os.WriteFile(filepath.Join(f.files.Sessions, id), []byte("# This is private data. Do not parse.\nUID=1000\nUSER=alice\nSTATE="+state+"\nREMOTE=0\n"), 0o644)
}

func sessionsWith(t testing.TB, f *fakeUnits) *userSessions {
	return &userSessions{LingerDir: t.TempDir(), RuntimeBase: t.TempDir(), Units: f, Files: f.files,
		Enable: func(context.Context, string) error { return nil }, Up: func(context.Context, int) bool { return true }}
}

var alice = guestUser{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice"}

func nolog(string, ...any) {}

// joinedID is the session a joined command is in, checked against the
// cgroup its descriptor opens.
func joinedID(t *testing.T, f *fakeUnits, j joined) string {
	t.Helper()
	id, ok := envValue(j.env, "XDG_SESSION_ID")
	if !ok || j.cgroupFD < 0 {
		t.Fatalf("not joined to a session: env %q, cgroup fd %d", j.env, j.cgroupFD)
	}
	var got, want unix.Stat_t
	unix.Fstat(j.cgroupFD, &got)
	unix.Stat(filepath.Join(f.files.Cgroup, "user.slice/user-1000.slice/session-"+id+".scope"), &want)
	if got.Ino != want.Ino || got.Dev != want.Dev {
		t.Fatalf("the cgroup descriptor is not session %s's scope", id)
	}
	return id
}

func TestUserSessionJoin(t *testing.T) {
	f := newFakeUnits(t)
	os.WriteFile(filepath.Join(f.files.PAM, "sbx"), []byte(SessionPAMConfig), 0o644)
	lingered := 0
	us := sessionsWith(t, f)
	us.Enable = func(context.Context, string) error { lingered++; return nil }
	for i := 0; i < 3; i++ {
		j := us.join(alice, nolog)
		if id := joinedID(t, f, j); id != "c1" {
			t.Fatalf("join %d: session %s, want c1", i, id)
		}
		want := []string{"XDG_SESSION_ID=c1", "XDG_SESSION_CLASS=user", "XDG_SESSION_TYPE=tty", "XDG_RUNTIME_DIR=/run/user/1000"}
		if !slices.Equal(j.env, want) {
			t.Fatalf("env = %q, want %q (only the session's variables of the holder)", j.env, want)
		}
		j.close()
	}
	if f.starts != 1 || lingered != 1 || f.pam != "sbx" {
		t.Errorf("holders started %d, lingering enabled %d times, PAM service %q: want 1, 1, sbx", f.starts, lingered, f.pam)
	}
	if j := us.join(guestUser{Name: "root"}, nolog); j.cgroupFD != -1 || j.env != nil || f.starts != 1 {
		t.Errorf("root joined a session: %+v", j)
	}
}

// A session that was ended (loginctl terminate-session) or is gone is
// replaced on the next command; a holder left by an earlier agent is used.
func TestUserSessionReplaced(t *testing.T) {
	f := newFakeUnits(t)
	us := sessionsWith(t, f)
	j := us.join(alice, nolog)
	joinedID(t, f, j)
	j.close()
	if f.pam != "login" {
		t.Errorf("PAM service without sbx's file: %q, want login", f.pam)
	}

	f.setState("c1", "closing") // terminated, the holder not yet gone
	j = us.join(alice, nolog)
	if id := joinedID(t, f, j); id != "c2" || f.stops != 1 || f.starts != 2 {
		t.Fatalf("after terminate: session %s, %d stops, %d starts; want c2, 1, 2", id, f.stops, f.starts)
	}
	j.close()

	os.Remove(filepath.Join(f.files.Sessions, "c2")) // gone with its holder
	f.pid = 0
	j = us.join(alice, nolog)
	if id := joinedID(t, f, j); id != "c3" || f.stops != 1 || f.starts != 3 {
		t.Fatalf("after the session went: session %s, %d stops, %d starts; want c3, 1, 3", id, f.stops, f.starts)
	}
	j.close()

	restarted := sessionsWith(t, f) // a new agent, the holder still running
	j = restarted.join(alice, nolog)
	if id := joinedID(t, f, j); id != "c3" || f.starts != 3 {
		t.Fatalf("new agent: session %s after %d starts; want the running c3", id, f.starts)
	}
	j.close()
}

func TestUserSessionUnavailable(t *testing.T) {
	f := newFakeUnits(t)
	f.fail = errors.New("no logind")
	us := sessionsWith(t, f)
	rt := filepath.Join(us.RuntimeBase, "1000")
	os.MkdirAll(rt, 0o700)
	os.WriteFile(filepath.Join(rt, "bus"), nil, 0o600)
	clock := time.Unix(1000, 0)
	us.Now = func() time.Time { return clock }
	waited, logged := 0, 0
	us.Up = func(context.Context, int) bool { waited++; return true }
	logf := func(string, ...any) { logged++ }
	want := []string{"XDG_RUNTIME_DIR=" + rt, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(rt, "bus")}
	for i := 0; i < 3; i++ {
		if j := us.join(alice, logf); j.cgroupFD != -1 || !slices.Equal(j.env, want) {
			t.Fatalf("without a session: %+v, want the manager's env %q", j, want)
		}
	}
	if logged != 1 || waited != 1 {
		t.Errorf("logged %d times, waited for the manager %d times; want once each", logged, waited)
	}
	f.fail = nil
	clock = clock.Add(sessionRetry)
	j := us.join(alice, logf)
	if id := joinedID(t, f, j); id != "c1" {
		t.Fatalf("after %s: session %s, want c1", sessionRetry, id)
	}
	j.close()
}

// A cgroup the kernel refuses (here not a cgroup at all) still runs the
// command, outside the session, and drops the session; an exec error is
// reported as such.
func TestUserSessionForkFallback(t *testing.T) {
	f := newFakeUnits(t)
	us := sessionsWith(t, f)
	j := us.join(alice, nolog)
	joinedID(t, f, j)
	defer j.close()
	attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{}}
	if _, err := j.forkExec("/no/such/program", []string{"x"}, attr, nolog); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("exec error = %v, want ENOENT", err)
	}
	if us.users[1000].open == nil {
		t.Fatal("an exec error dropped the session")
	}
	logged := 0
	pid, err := j.forkExec("/bin/true", []string{"true"}, attr, func(string, ...any) { logged++ })
	if err != nil {
		t.Fatal(err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if ws.ExitStatus() != 0 || logged != 1 || us.users[1000].open != nil {
		t.Errorf("status %d, logged %d, session kept: %v", ws.ExitStatus(), logged, us.users[1000].open != nil)
	}
}

func TestScopeSession(t *testing.T) {
	for unit, want := range map[string]string{"session-c1.scope": "c1", "session-42.scope": "42",
		"user@1000.service": "", "session-.scope": "", "session-c1.service": "", "session-a.b.scope": "", "init.scope": ""} {
		if got, ok := scopeSession(unit); got != want || ok != (want != "") {
			t.Errorf("scopeSession(%q) = %q, %v; want %q", unit, got, ok, want)
		}
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

// BenchmarkUserSessionJoinWarm is what joining the session costs a
// command once it is open (the warm sbx run path): a mutex, the read of
// the session's state and a dup.
func BenchmarkUserSessionJoinWarm(b *testing.B) {
	f := newFakeUnits(b)
	us := sessionsWith(b, f)
	us.join(alice, nolog).close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := us.join(alice, nolog)
		if j.cgroupFD < 0 {
			b.Fatal("no session")
		}
		j.close()
	}
}

// On a host with the hybrid cgroup layout the machines' cgroup2 hierarchy
// is at /sys/fs/cgroup/unified: sessions are joined there.
func TestUnifiedRoot(t *testing.T) {
	d := t.TempDir()
	if got := (sessionFiles{Cgroup: d}).unifiedRoot(); got != d {
		t.Errorf("without cgroup.controllers anywhere: %q, want %q", got, d)
	}
	os.MkdirAll(d+"/unified", 0o755)
	os.WriteFile(d+"/unified/cgroup.controllers", nil, 0o644)
	if got := (sessionFiles{Cgroup: d}).unifiedRoot(); got != d+"/unified" {
		t.Errorf("hybrid: %q, want %q", got, d+"/unified")
	}
	os.WriteFile(d+"/cgroup.controllers", nil, 0o644)
	if got := (sessionFiles{Cgroup: d}).unifiedRoot(); got != d {
		t.Errorf("unified: %q, want %q", got, d)
	}
}
