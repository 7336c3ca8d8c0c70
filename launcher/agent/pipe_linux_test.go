package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func sh(script string) Request { return Request{Argv: []string{"sh", "-c", script}} }

func TestExitStatusIsTheCommands(t *testing.T) {
	sock, _ := startServer(t, 0)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0}, {"exit 1", 1}, {"exit 2", 2}, {"exit 42", 42}, {"exit 255", 255},
		{"kill -INT $$", 130}, {"kill -KILL $$", 137}, {"kill -TERM $$", 143},
	} {
		r := run(t, sock, sh(tc.script), nil)
		if r.err != nil || r.code != tc.want {
			t.Errorf("%q: got %d, %v; want %d", tc.script, r.code, r.err, tc.want)
		}
	}
}

func TestCommandNotFoundOrNotExecutable(t *testing.T) {
	sock, _ := startServer(t, 0)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(plain, []byte("echo hi\n"), 0o644)
	os.WriteFile(garbage, []byte{0, 1, 2, 3, 4, 5, 6, 7}, 0o755)
	for _, tc := range []struct {
		argv0, msg string
		want       int
	}{
		{"no-such-command-sbx", "sbx: no-such-command-sbx: command not found\n", 127},
		{"/no/such/file", "sbx: /no/such/file: No such file or directory\n", 127},
		{plain, "sbx: " + plain + ": Permission denied\n", 126},
		{garbage, "sbx: " + garbage + ": cannot execute binary file: Exec format error\n", 126},
	} {
		r := run(t, sock, Request{Argv: []string{tc.argv0}}, nil)
		if r.err != nil || r.code != tc.want || r.stderr != tc.msg {
			t.Errorf("%s: got %d, %v, stderr %q; want %d, %q", tc.argv0, r.code, r.err, r.stderr, tc.want, tc.msg)
		}
	}
}

func TestStdoutAndStderrSeparateAndByteExact(t *testing.T) {
	sock, _ := startServer(t, 0)
	dir := t.TempDir()
	data := make([]byte, 100<<20)
	rand.Read(data)
	out, errf := filepath.Join(dir, "out"), filepath.Join(dir, "err")
	os.WriteFile(out, data, 0o644)
	os.WriteFile(errf, data[:1<<20], 0o644)
	outR, outW := pipe(t)
	errR, errW := pipe(t)
	hash := func(r io.Reader) <-chan [2]any {
		c := make(chan [2]any, 1)
		go func() {
			h := sha256.New()
			n, _ := io.Copy(h, r)
			c <- [2]any{n, fmt.Sprintf("%x", h.Sum(nil))}
		}()
		return c
	}
	outC, errC := hash(outR), hash(errR)
	code, err := Run(context.Background(), sock, sh(fmt.Sprintf("cat %s; cat %s >&2; cat %s", out, errf, out)), Stdio{Out: outW, Err: errW})
	outW.Close()
	errW.Close()
	if err != nil || code != 0 {
		t.Fatalf("run: %d, %v", code, err)
	}
	double := sha256.Sum256(append(append([]byte{}, data...), data...))
	single := sha256.Sum256(data[:1<<20])
	if got := <-outC; got[0].(int64) != 200<<20 || got[1] != fmt.Sprintf("%x", double) {
		t.Errorf("stdout: %v bytes, hash %v; want %d bytes of the file twice", got[0], got[1], 200<<20)
	}
	if got := <-errC; got[0].(int64) != 1<<20 || got[1] != fmt.Sprintf("%x", single) {
		t.Errorf("stderr: %v bytes, hash %v; want the 1 MiB file", got[0], got[1])
	}
}

func TestThousandQuickRunsLoseNothing(t *testing.T) {
	sock, srv := startServer(t, 0)
	before := openFds(t)
	for i := range 1000 {
		r := run(t, sock, Request{Argv: []string{"echo", fmt.Sprint("line ", i)}}, nil)
		if r.err != nil || r.code != 0 || r.stdout != fmt.Sprintf("line %d\n", i) {
			t.Fatalf("run %d: %d, %v, %q", i, r.code, r.err, r.stdout)
		}
	}
	// Each run's pipes are closed by t.Cleanup; count only what Run leaks.
	if after := openFds(t); after > before+2*1000*2+8 {
		t.Errorf("descriptors grew from %d to %d", before, after)
	}
	waitFor(t, 2*time.Second, "no active sessions", func() bool { return srv.ActiveSessions() == 0 })
}

func TestNoDescriptorLeakPerRun(t *testing.T) {
	sock, _ := startServer(t, 0)
	outR, outW := pipe(t)
	go io.Copy(io.Discard, outR)
	runOnce := func() {
		if code, err := Run(context.Background(), sock, Request{Argv: []string{"true"}}, Stdio{Out: outW, Err: outW}); code != 0 || err != nil {
			t.Fatalf("true: %d, %v", code, err)
		}
	}
	runOnce()
	before := openFds(t)
	for range 200 {
		runOnce()
	}
	// The agent runs in this process too and closes its side of the last
	// connection just after Run returns: wait for that, then only growth
	// is a leak.
	deadline := time.Now().Add(2 * time.Second)
	after := openFds(t)
	for after > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		after = openFds(t)
	}
	if after > before {
		t.Errorf("open descriptors went from %d to %d over 200 runs", before, after)
	}
}

func TestStdinEOFReachesTheCommand(t *testing.T) {
	sock, _ := startServer(t, 0)
	in := "a\nb\n"
	start := time.Now()
	r := run(t, sock, Request{Argv: []string{"wc", "-l"}}, &in)
	if r.err != nil || r.code != 0 || strings.TrimSpace(r.stdout) != "2" {
		t.Fatalf("wc -l: %d, %v, %q", r.code, r.err, r.stdout)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestBinaryDataUnchanged(t *testing.T) {
	sock, _ := startServer(t, 0)
	var b bytes.Buffer
	for i := range 256 * 64 {
		b.WriteByte(byte(i))
	}
	b.WriteString("\r\n\n\r\x00")
	in := b.String()
	r := run(t, sock, Request{Argv: []string{"cat"}}, &in)
	if r.err != nil || r.code != 0 || r.stdout != in {
		t.Fatalf("cat: %d, %v, %d bytes back of %d, equal=%v", r.code, r.err, len(r.stdout), len(in), r.stdout == in)
	}
}

func TestLongLivedExchangeBothWays(t *testing.T) {
	sock, _ := startServer(t, 0)
	inR, inW := pipe(t)
	outR, outW := pipe(t)
	errR, errW := pipe(t)
	errC := readAll(errR)
	type ret struct {
		code int
		err  error
	}
	done := make(chan ret, 1)
	go func() {
		code, err := Run(context.Background(), sock,
			sh(`while IFS= read -r l; do printf '{"id":%s,"result":"ok"}\n' "$l"; echo "log $l" >&2; done; exit 7`),
			Stdio{In: inR, Out: outW, Err: errW})
		done <- ret{code, err}
	}()
	buf := make([]byte, 256)
	for i := range 300 {
		fmt.Fprintf(inW, "%d\n", i)
		want := fmt.Sprintf(`{"id":%d,"result":"ok"}`+"\n", i)
		got := ""
		for len(got) < len(want) {
			n, err := outR.Read(buf)
			if err != nil {
				t.Fatalf("reading reply %d: %v", i, err)
			}
			got += string(buf[:n])
		}
		if got != want {
			t.Fatalf("reply %d: %q, want %q", i, got, want)
		}
	}
	inW.Close()
	r := <-done
	outW.Close()
	errW.Close()
	if r.err != nil || r.code != 7 {
		t.Fatalf("exit: %d, %v", r.code, r.err)
	}
	if logs := <-errC; strings.Count(logs, "log ") != 300 || !strings.HasSuffix(logs, "log 299\n") {
		t.Errorf("stderr has %d log lines", strings.Count(logs, "log "))
	}
}

func TestWorkingDirectory(t *testing.T) {
	sock, _ := startServer(t, 0)
	dir := t.TempDir()
	r := run(t, sock, Request{Argv: []string{"pwd"}, Dir: dir}, nil)
	if r.err != nil || r.stdout != dir+"\n" {
		t.Errorf("pwd in %s: %q, %v", dir, r.stdout, r.err)
	}
	r = run(t, sock, Request{Argv: []string{"pwd"}, Dir: "/no/such/dir"}, nil)
	if r.err == nil || !strings.Contains(r.err.Error(), "directory /no/such/dir does not exist in this machine; only the project and Bind= paths are shared") || r.code != StatusFailure {
		t.Errorf("missing dir: %d, %v", r.code, r.err)
	}
	r = run(t, sock, Request{Argv: []string{"pwd"}}, nil)
	if r.err != nil || r.stdout != "/root\n" {
		t.Errorf("default dir: %q, %v; want the home directory", r.stdout, r.err)
	}
}

func TestEnvironment(t *testing.T) {
	sock, _ := startServer(t, 0)
	req := Request{Argv: []string{"env"}, Env: []string{"FOO=bar baz", "HOME=/host/home", "USER=hostuser"}}
	r := run(t, sock, req, nil)
	if r.err != nil {
		t.Fatal(r.err)
	}
	env := strings.Split(strings.TrimSpace(r.stdout), "\n")
	want := []string{"FOO=bar baz", "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash", "PATH=" + defaultRootPath}
	for _, w := range want {
		found := false
		for _, kv := range env {
			found = found || kv == w
		}
		if !found {
			t.Errorf("env lacks %q: %q", w, env)
		}
	}
	if len(env) != len(want) {
		t.Errorf("env has more than asked for (TERM must not appear without a terminal): %q", env)
	}
}

func TestLoginShellArgv0(t *testing.T) {
	sock, _ := startServer(t, 0)
	r := run(t, sock, Request{Argv: []string{"/bin/sh", "-c", "echo $0"}, Login: true}, nil)
	if r.err != nil || r.stdout != "-sh\n" {
		t.Errorf("login argv0: %q, %v", r.stdout, r.err)
	}
}

func TestUnavailable(t *testing.T) {
	dir := t.TempDir()
	_, err := Run(context.Background(), filepath.Join(dir, "missing.sock"), Request{Argv: []string{"true"}}, Stdio{})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("missing socket: %v; want ErrUnavailable", err)
	}
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if _, err := Ping(context.Background(), stale); !errors.Is(err, ErrUnavailable) {
		t.Errorf("nobody listening: %v; want ErrUnavailable", err)
	}
}

func TestPing(t *testing.T) {
	sock, srv := startServer(t, 0)
	var booting atomic.Bool
	srv.SystemState = func(ctx context.Context) (string, error) {
		if !booting.Load() {
			return "degraded", nil
		}
		<-ctx.Done()
		return "starting", errors.New("the machine did not finish booting in time")
	}
	if st, err := Ping(context.Background(), sock); err != nil || st != "degraded" {
		t.Errorf("ping: %q, %v", st, err)
	}
	booting.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := Ping(ctx, sock); err == nil {
		t.Error("ping of a machine that never comes up succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ping ignored the caller's timeout: %v", d)
	}
}

func TestActiveSessions(t *testing.T) {
	sock, _ := startServer(t, 0)
	inR, inW := pipe(t)
	done := make(chan int, 1)
	go func() {
		code, _ := Run(context.Background(), sock, Request{Argv: []string{"cat"}}, Stdio{In: inR})
		done <- code
	}()
	count := func() int {
		n, err := ActiveSessions(context.Background(), sock)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, 5*time.Second, "one active session", func() bool { return count() == 1 })
	inW.Close()
	<-done
	// The agent ends its bookkeeping just after it reports the exit.
	waitFor(t, 5*time.Second, "no session after the exit", func() bool { return count() == 0 })
}

func TestContextCancelHangsUp(t *testing.T) {
	sock, _ := startServer(t, 0)
	outR, outW := pipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, sock, sh("echo $$; exec sleep 100"), Stdio{Out: outW})
		done <- err
	}()
	var pid int
	if _, err := fmt.Fscan(outR, &pid); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: %v", err)
	}
	waitFor(t, 5*time.Second, "the command to be hung up", func() bool { return !alive(pid) })
}
