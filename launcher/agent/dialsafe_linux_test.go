package agent

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDialSocketRefusesLinksAndFIFOs: the agent socket's directory is the
// guest's; a link there to another socket (a host daemon's) or a FIFO is
// not connected to.
func TestDialSocketRefusesLinksAndFIFOs(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.sock")
	l, err := net.Listen("unix", real)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := dialSocket(t.Context(), real)
	if err != nil {
		t.Fatalf("a real socket: %v", err)
	}
	c.Close()

	link := filepath.Join(dir, "agent.sock")
	os.Symlink(real, link)
	if _, err := dialSocket(t.Context(), link); err == nil {
		t.Error("connected through a symbolic link")
	}
	fifo := filepath.Join(dir, "fifo.sock")
	syscall.Mkfifo(fifo, 0o600)
	if _, err := dialSocket(t.Context(), fifo); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("a FIFO: %v", err)
	}
	if _, err := dialSocket(t.Context(), filepath.Join(dir, "none")); !os.IsNotExist(err) {
		t.Errorf("a missing socket: %v, want not-exist", err)
	}
}
