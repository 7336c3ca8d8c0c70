package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadGuestFile: what the machine leaves in its runtime directory is
// read only when it is a small regular file: a FIFO does not hang sbx, a
// link to /dev/zero does not flood it.
func TestReadGuestFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "return.ok")
	os.WriteFile(ok, []byte("/home/a/other\n"), 0o600)
	if data, err := readGuestFile(ok, 100); err != nil || string(data) != "/home/a/other\n" {
		t.Errorf("a regular file: %q %v", data, err)
	}
	fifo := filepath.Join(dir, "return.fifo")
	syscall.Mkfifo(fifo, 0o600)
	done := make(chan error, 1)
	go func() { _, err := readGuestFile(fifo, 100); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("read a FIFO")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO hangs")
	}
	zero := filepath.Join(dir, "return.zero")
	os.Symlink("/dev/zero", zero)
	if _, err := readGuestFile(zero, 100); err == nil {
		t.Error("followed a link to /dev/zero")
	}
	big := filepath.Join(dir, "return.big")
	os.WriteFile(big, make([]byte, 101), 0o600)
	if _, err := readGuestFile(big, 100); err == nil {
		t.Error("read past the bound")
	}
}
