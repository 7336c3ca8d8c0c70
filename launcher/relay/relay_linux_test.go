package relay

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestRelayBytesAndDescriptors: bytes both ways, a descriptor along, EOF
// passed on, the host socket dialled per connection, the socket removed
// by Close.
func TestRelayBytesAndDescriptors(t *testing.T) {
	dir, target, l := hostSocket(t)
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			go func(c *net.UnixConn) {
				defer c.Close()
				buf, oob := make([]byte, 16), make([]byte, unix.CmsgSpace(4))
				n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
				if err != nil {
					return
				}
				reply := "got " + string(buf[:n])
				if fds := rights(oob[:oobn]); len(fds) == 1 {
					f := os.NewFile(uintptr(fds[0]), "passed")
					data, _ := io.ReadAll(f)
					f.Close()
					reply += " and fd saying " + string(data)
				}
				c.Write([]byte(reply))
			}(c)
		}
	}()

	path := filepath.Join(dir, "relay.sock")
	r, err := Start(path, target)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("relay socket: %v %v", st, err)
	}
	for i := 0; i < 2; i++ {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		pr, pw, _ := os.Pipe()
		pw.Write([]byte("hello"))
		pw.Close()
		if _, _, err := c.WriteMsgUnix([]byte("ping"), unix.UnixRights(int(pr.Fd())), nil); err != nil {
			t.Fatal(err)
		}
		pr.Close()
		c.CloseWrite()
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(got) != "got ping and fd saying hello" {
			t.Fatalf("round %d: %q, %v", i, got, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("relay socket still there after Close: %v", err)
	}
}

// TestRelayTargetGone: a host socket that went away closes the client's
// connection instead of hanging it.
func TestRelayTargetGone(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(filepath.Join(dir, "relay.sock"), filepath.Join(dir, "missing.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.Dial("unix", r.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read = %d, %v; want EOF", n, err)
	}
}

// TestRelayWakes: a connection that finds nothing at the target wakes it
// (as gpg-agent is started on demand) and reaches it; one that finds it
// listening does not wake it again.
func TestRelayWakes(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "agent.sock")
	woken := 0
	var l *net.UnixListener
	wake := func() {
		woken++
		var err error
		if l, err = net.ListenUnix("unix", &net.UnixAddr{Name: target, Net: "unix"}); err != nil {
			t.Error(err)
			return
		}
		go func() {
			for {
				c, err := l.AcceptUnix()
				if err != nil {
					return
				}
				c.Write([]byte("OK agent\n"))
				c.Close()
			}
		}()
	}
	r, err := StartWaking(filepath.Join(dir, "relay.sock"), target, wake)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 2; i++ {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: r.Path(), Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(c)
		c.Close()
		if err != nil || string(got) != "OK agent\n" {
			t.Fatalf("round %d: %q, %v", i, got, err)
		}
	}
	if woken != 1 {
		t.Fatalf("woken %d times, want 1", woken)
	}
	if l != nil {
		l.Close()
	}
}

// TestRelaySlowReaderKeepsEveryByte: when the host's side reads slowly, a
// chunk that came with descriptors is written on in full, not only the
// part the socket took at once (a short write must not lose the rest).
func TestRelaySlowReaderKeepsEveryByte(t *testing.T) {
	dir, target, l := hostSocket(t)
	type count struct{ bytes, fds int }
	got := make(chan count, 1)
	go func() {
		c, err := l.AcceptUnix()
		if err != nil {
			got <- count{}
			return
		}
		defer c.Close()
		time.Sleep(300 * time.Millisecond) // let the relay's writes fill the socket
		var n count
		buf, oob := make([]byte, 4<<10), make([]byte, unix.CmsgSpace(16*4)) // small reads: space frees bit by bit
		for {
			k, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
			n.bytes += k
			for _, fd := range rights(oob[:oobn]) {
				n.fds++
				unix.Close(fd)
			}
			if err != nil || k == 0 {
				got <- n
				return
			}
		}
	}()
	r, err := Start(filepath.Join(dir, "relay.sock"), target)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: r.Path(), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, _ := os.Pipe()
	defer pr.Close()
	defer pw.Close()
	const writes, size = 128, 64 << 10
	chunk := make([]byte, size)
	for i := 0; i < writes; i++ {
		// The client's own short writes are finished here, so what is
		// missing at the end was lost by the relay.
		n, _, err := c.WriteMsgUnix(chunk, unix.UnixRights(int(pr.Fd())), nil)
		if err == nil && n < size {
			_, err = c.Write(chunk[n:])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	c.CloseWrite()
	select {
	case n := <-got:
		if n.bytes != writes*size || n.fds != writes {
			t.Fatalf("the host's side got %d bytes and %d descriptors; want %d and %d", n.bytes, n.fds, writes*size, writes)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the host's side never saw the end of the stream")
	}
	c.Close()
}

// hostSocket is a temporary directory and the host's side of a relay
// listening in it, closed when the test ends.
func hostSocket(t *testing.T) (dir, target string, l *net.UnixListener) {
	t.Helper()
	dir = t.TempDir()
	target = filepath.Join(dir, "host.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: target, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return dir, target, l
}
