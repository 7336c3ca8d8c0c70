package agent

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The agent started as a careless launcher would (SIGINT ignored, SIGUSR1
// blocked) and socket-activated the way systemd does it: the commands it
// runs still start with no signal ignored or blocked.
func TestDaemonGivesCommandsCleanSignalState(t *testing.T) {
	dir := sharedDir(t)
	sock := filepath.Join(dir, "agent.sock")
	conf := filepath.Join(dir, "agent.conf")
	os.WriteFile(conf, []byte("# written by sbx\nowner_uid=0\n"), 0o644)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	lf, err := l.File()
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close() // the daemon has its own copy via lf

	cmd := helperCmdDaemon(t, conf)
	cmd.ExtraFiles = []*os.File{lf}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	defer cmd.Process.Kill()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := ActiveSessions(ctx, sock); err != nil || n != 0 {
		t.Fatalf("daemon not serving: %d, %v", n, err)
	}
	r := run(t, sock, Request{Argv: []string{"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}}, nil)
	if want := "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"; r.err != nil || r.stdout != want {
		t.Errorf("command's signal state: %q, %v; want %q", r.stdout, r.err, want)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("daemon after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("daemon did not stop on SIGTERM")
	}
}
