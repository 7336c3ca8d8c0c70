package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the programs the tests need in other
// processes: a client (sbx run) and the agent daemon.
func TestMain(m *testing.M) {
	switch {
	case os.Getenv("SBX_TEST_CLIENT") != "":
		os.Exit(clientMain())
	case os.Getenv("SBX_TEST_DIRTY") != "":
		dirtyExec()
	case os.Getenv("SBX_TEST_DAEMON") != "":
		err := Daemon(DaemonOptions{Listen: os.Getenv("SBX_TEST_SOCK"), ConfigPath: os.Getenv("SBX_TEST_CONFIG"), Env: envMap(), Log: os.Stderr})
		if err != nil {
			fmt.Fprintln(os.Stderr, "daemon:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// clientMain is `sbx run` in miniature: exit code as Run returns it.
func clientMain() int {
	var req Request
	if err := json.Unmarshal([]byte(os.Getenv("SBX_TEST_REQ")), &req); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		return 125
	}
	code, err := Run(context.Background(), os.Getenv("SBX_TEST_SOCK"), req, Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbx:", err)
	}
	return code
}

// dirtyExec starts the daemon the way a careless launcher would: SIGINT
// ignored and SIGUSR1 blocked.
func dirtyExec() {
	signal.Ignore(syscall.SIGINT)
	var set unix.Sigset_t
	set.Val[0] = 1 << (uint(syscall.SIGUSR1) - 1)
	runtime.LockOSThread()
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		panic(err)
	}
	// Socket activation: fd 3 is the listener, LISTEN_PID this process
	// (exec keeps the pid).
	env := append(withoutKey(os.Environ(), "SBX_TEST_DIRTY"), "SBX_TEST_DAEMON=1", "LISTEN_FDS=1", fmt.Sprintf("LISTEN_PID=%d", os.Getpid()))
	panic(unix.Exec("/proc/self/exe", os.Args, env))
}

func envMap() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// sharedDir is a directory any user can enter (for the socket and a copy
// of the test binary that another uid runs).
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sbx-agent-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startServer runs an agent in this process on a fresh socket.
// configure runs before it serves.
func startServer(t *testing.T, owner int, configure ...func(*Server)) (string, *Server) {
	t.Helper()
	return startServerTB(t, owner, configure...)
}

// startServerB is startServer for benchmarks.
func startServerB(b *testing.B) (string, *Server) { return startServerTB(b, 0) }

func startServerTB(t testing.TB, owner int, configure ...func(*Server)) (string, *Server) {
	t.Helper()
	sock := filepath.Join(sharedDir(t), "agent.sock")
	l, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{OwnerUID: owner, HangupGrace: 500 * time.Millisecond, Logf: t.Logf}
	for _, c := range configure {
		c(srv)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		srv.Logf = nil
		srv.HangupAll()
	})
	return sock, srv
}

// result is what a command run through the client produced.
type result struct {
	code           int
	err            error
	stdout, stderr string
}

// run runs req through the client in this process with pipes for stdout
// and stderr and stdin from the given string (nil: /dev/null).
func run(t *testing.T, sock string, req Request, stdin *string) result {
	t.Helper()
	outR, outW := pipe(t)
	errR, errW := pipe(t)
	var in *os.File
	if stdin != nil {
		inR, inW := pipe(t)
		go func() { io.WriteString(inW, *stdin); inW.Close() }()
		in = inR
	}
	outC, errC := readAll(outR), readAll(errR)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code, err := Run(ctx, sock, req, Stdio{In: in, Out: outW, Err: errW})
	outW.Close()
	errW.Close()
	if in != nil {
		in.Close()
	}
	return result{code: code, err: err, stdout: <-outC, stderr: <-errC}
}

func pipe(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func readAll(r io.Reader) <-chan string {
	c := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		c <- string(b)
	}()
	return c
}

// helperCmdDaemon prepares the test binary as a daemon started dirty.
func helperCmdDaemon(t *testing.T, conf string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SBX_TEST_DIRTY=1", "SBX_TEST_CONFIG="+conf)
	cmd.Stderr = os.Stderr
	return cmd
}

// helperCmd prepares the test binary as a client process for req.
func helperCmd(t *testing.T, bin, sock string, req Request) *exec.Cmd {
	t.Helper()
	js, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "SBX_TEST_CLIENT=1", "SBX_TEST_SOCK="+sock, "SBX_TEST_REQ="+string(js))
	return cmd
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && !strings.HasPrefix(strings.TrimSpace(s[i+1:]), "Z")
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
