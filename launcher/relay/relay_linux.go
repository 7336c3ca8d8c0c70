// Package relay forwards connections from a unix socket that sbx creates
// (in a machine's runtime directory, so programs inside can reach it) to a
// socket on the host: the SSH agent, the Wayland compositor, the sound
// server. It runs in the sbx process for as long as one command does, and
// dials the host socket per connection, so a host socket that moved (a new
// login, a restarted agent) never leaves a stale path in the machine.
// Descriptors sent along (SCM_RIGHTS: Wayland buffers, PipeWire memory)
// travel with the bytes they came with.
package relay

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// Relay is one listening socket and its forwarding goroutines.
type Relay struct {
	l      *net.UnixListener
	path   string
	target string
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[*net.UnixConn]struct{}
	closed bool
	wake   func() // see StartWaking; nil for Start
}

// Start listens at path (in a directory only the user can enter; any
// stale file there is replaced) and
// relays every connection to the socket at target.
func Start(path, target string) (*Relay, error) {
	return StartWaking(path, target, nil)
}

// StartWaking is Start for a target that a program brings up on demand,
// as gpg starts gpg-agent when it finds none: when a connection finds no
// listener at target, wake runs (for that connection) and the dial is
// tried once more, so the client inside meets the host's program instead
// of starting one of its own.
func StartWaking(path, target string, wake func()) (*Relay, error) {
	os.Remove(path) // best effort: a socket left by a killed sbx
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("relaying %s into the machine: %w", target, err)
	}
	// No chmod: the path is in a directory the machine's root can write,
	// and chmod would follow a link put in its place. The directory (0700,
	// the user's) is what keeps others out.
	l.SetUnlinkOnClose(true)
	r := &Relay{l: l, path: path, target: target, conns: map[*net.UnixConn]struct{}{}, wake: wake}
	r.wg.Add(1)
	go r.accept()
	return r, nil
}

// Path is where the relay listens.
func (r *Relay) Path() string { return r.path }

// Close stops listening, removes the socket and ends open connections.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	for c := range r.conns {
		c.Close() // best effort
	}
	r.mu.Unlock()
	err := r.l.Close()
	r.wg.Wait()
	return err
}

func (r *Relay) accept() {
	defer r.wg.Done()
	for {
		c, err := r.l.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if r.wake == nil {
			up, err := r.dial()
			if err != nil {
				c.Close() // the host's socket is gone: the client sees a closed connection
				continue
			}
			if !r.track(c, up) {
				return
			}
			r.wg.Add(1)
			go r.serve(c, up)
			continue
		}
		// Waking the target can take a while: not in the accept loop.
		if !r.track(c) {
			return
		}
		r.wg.Add(1)
		go r.serveWaking(c)
	}
}

func (r *Relay) dial() (*net.UnixConn, error) {
	return net.DialUnix("unix", nil, &net.UnixAddr{Name: r.target, Net: "unix"})
}

// serveWaking dials for c, waking the target when nothing listens there.
func (r *Relay) serveWaking(c *net.UnixConn) {
	up, err := r.dial()
	if err != nil {
		r.wake()
		up, err = r.dial()
	}
	if err != nil || !r.track(up) {
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
		c.Close()
		if up != nil {
			up.Close()
		}
		r.wg.Done()
		return
	}
	r.serve(c, up)
}

// serve relays one connection both ways and closes both ends when both
// directions ended.
func (r *Relay) serve(c, up *net.UnixConn) {
	defer r.wg.Done()
	var both sync.WaitGroup
	both.Add(2)
	go func() { defer both.Done(); pipe(c, up) }()
	go func() { defer both.Done(); pipe(up, c) }()
	both.Wait()
	r.mu.Lock()
	delete(r.conns, c)
	delete(r.conns, up)
	r.mu.Unlock()
	c.Close()
	up.Close()
}

func (r *Relay) track(cs ...*net.UnixConn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		r.conns[c] = struct{}{}
	}
	return true
}

// pipe copies from src to dst, descriptors included, until src ends; then
// it half-closes dst so the other side sees EOF, as on a direct connection.
func pipe(src, dst *net.UnixConn) {
	defer dst.CloseWrite() // best effort
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(253*4)) // SCM_MAX_FD descriptors
	for {
		n, oobn, _, _, err := src.ReadMsgUnix(buf, oob)
		fds := rights(oob[:oobn])
		if n > 0 || len(fds) > 0 {
			var werr error
			if len(fds) > 0 {
				// sendmsg on a full socket takes what fits and says so
				// (the descriptors go with the first byte): write the rest.
				var sent int
				sent, _, werr = dst.WriteMsgUnix(buf[:n], unix.UnixRights(fds...), nil)
				if werr == nil && sent < n {
					_, werr = dst.Write(buf[sent:n])
				}
			} else {
				_, werr = dst.Write(buf[:n])
			}
			for _, fd := range fds {
				unix.Close(fd) // the receiver has its own copy now
			}
			if werr != nil {
				return
			}
		}
		if err != nil || n == 0 && oobn == 0 {
			return
		}
	}
}

// rights returns the descriptors in a control message (SCM_RIGHTS).
func rights(oob []byte) []int {
	if len(oob) == 0 {
		return nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if got, err := unix.ParseUnixRights(&m); err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}
