// Command wlclient is the e2e suite's smallest Wayland client that hands
// the compositor a file descriptor: it shares a memfd with wl_shm (the fd
// travels as SCM_RIGHTS, as every shm client's buffers do), makes a buffer
// of it, attaches it to a surface and commits, then waits for the
// compositor's answer to a sync. A descriptor that did not arrive, or
// arrived as something the compositor cannot map, ends in a protocol error
// or a closed connection, and a non-zero exit. It also prints the first
// output's mode, which only the compositor knows.
//
// It speaks the wire protocol directly (no libwayland), so it builds as a
// static binary that runs in any machine.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Object ids this client allocates, in order.
const (
	idDisplay = 1 + iota
	idRegistry
	idSyncGlobals
	idCompositor
	idShm
	idOutput
	idPool
	idBuffer
	idSurface
	idSyncDone
)

const width, height = 16, 8

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "wlclient:", err)
		os.Exit(1)
	}
}

func run() error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // best effort
	w := &wire{c: c}

	w.send(idDisplay, 1, u32(idRegistry))    // get_registry
	w.send(idDisplay, 0, u32(idSyncGlobals)) // sync
	globals := map[string]uint32{}
	if err := w.until(idSyncGlobals, func(obj uint32, op uint16, a *args) {
		if obj == idRegistry && op == 0 { // global
			name, iface := a.u32(), a.str()
			if _, seen := globals[iface]; !seen {
				globals[iface] = name
			}
		}
	}); err != nil {
		return err
	}
	for _, need := range []string{"wl_compositor", "wl_shm", "wl_output"} {
		if _, ok := globals[need]; !ok {
			return fmt.Errorf("the compositor has no %s", need)
		}
	}
	bind := func(iface string, version, id uint32) {
		w.send(idRegistry, 0, cat(u32(globals[iface]), str(iface), u32(version), u32(id)))
	}
	bind("wl_compositor", 1, idCompositor)
	bind("wl_shm", 1, idShm)
	bind("wl_output", 2, idOutput)

	// The buffer's memory: a memfd, sent along with create_pool.
	size := width * height * 4
	fd, err := unix.MemfdCreate("wlclient", unix.MFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("memfd: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return fmt.Errorf("memfd: %w", err)
	}
	w.sendFD(idShm, 0, cat(u32(idPool), u32(uint32(size))), fd) // create_pool
	w.send(idPool, 0, cat(u32(idBuffer), u32(0), u32(width), u32(height),
		u32(width*4), u32(1))) // create_buffer, xrgb8888
	w.send(idCompositor, 0, u32(idSurface))                            // create_surface
	w.send(idSurface, 1, cat(u32(idBuffer), u32(0), u32(0)))           // attach
	w.send(idSurface, 2, cat(u32(0), u32(0), u32(width), u32(height))) // damage
	w.send(idSurface, 6, nil)                                          // commit
	w.send(idDisplay, 0, u32(idSyncDone))                              // sync
	mode := ""
	if err := w.until(idSyncDone, func(obj uint32, op uint16, a *args) {
		if obj == idOutput && op == 1 && mode == "" { // mode
			a.u32() // flags
			mode = fmt.Sprintf("%dx%d", int32(a.u32()), int32(a.u32()))
		}
	}); err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	fmt.Printf("output mode %s\n", mode)
	fmt.Printf("shm buffer %dx%d committed from a memfd\n", width, height)
	return nil
}

// dial connects as libwayland does: WAYLAND_DISPLAY, relative to
// XDG_RUNTIME_DIR unless it is absolute.
func dial() (*net.UnixConn, error) {
	name := os.Getenv("WAYLAND_DISPLAY")
	if name == "" {
		name = "wayland-0"
	}
	if !filepath.IsAbs(name) {
		rt := os.Getenv("XDG_RUNTIME_DIR")
		if rt == "" {
			return nil, errors.New("XDG_RUNTIME_DIR is not set")
		}
		name = filepath.Join(rt, name)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("connecting to the compositor: %w", err)
	}
	return c, nil
}

// wire is one connection's requests and events.
type wire struct {
	c   *net.UnixConn
	in  []byte
	err error
}

func (w *wire) send(obj uint32, op uint16, body []byte) { w.sendFD(obj, op, body, -1) }

func (w *wire) sendFD(obj uint32, op uint16, body []byte, fd int) {
	if w.err != nil {
		return
	}
	msg := cat(u32(obj), u32(uint32(8+len(body))<<16|uint32(op)), body)
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	_, _, w.err = w.c.WriteMsgUnix(msg, oob, nil)
}

// until reads events, giving each to on, until the callback id is done. A
// wl_display.error is returned as the error it is.
func (w *wire) until(callback uint32, on func(obj uint32, op uint16, a *args)) error {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(28*4))
	for {
		for len(w.in) >= 8 {
			obj := binary.LittleEndian.Uint32(w.in)
			word := binary.LittleEndian.Uint32(w.in[4:])
			size, op := int(word>>16), uint16(word)
			if size < 8 || len(w.in) < size {
				break
			}
			a := &args{b: w.in[8:size]}
			w.in = w.in[size:]
			switch {
			case obj == idDisplay && op == 0:
				id, code := a.u32(), a.u32()
				return fmt.Errorf("protocol error on object %d, code %d: %s", id, code, a.str())
			case obj == callback && op == 0:
				return nil
			default:
				on(obj, op, a)
			}
		}
		if w.err != nil {
			return w.err
		}
		n, oobn, _, _, err := w.c.ReadMsgUnix(buf, oob)
		closeRights(oob[:oobn]) // keymaps and the like: not needed here
		w.in = append(w.in, buf[:n]...)
		if err != nil || n == 0 {
			return fmt.Errorf("the compositor closed the connection: %v", err)
		}
	}
}

func closeRights(oob []byte) {
	msgs, _ := unix.ParseSocketControlMessage(oob) // best effort
	for _, m := range msgs {
		fds, _ := unix.ParseUnixRights(&m)
		for _, fd := range fds {
			unix.Close(fd)
		}
	}
}

// args reads an event's arguments.
type args struct{ b []byte }

func (a *args) u32() uint32 {
	if len(a.b) < 4 {
		return 0
	}
	v := binary.LittleEndian.Uint32(a.b)
	a.b = a.b[4:]
	return v
}

func (a *args) str() string {
	n := int(a.u32())
	if n == 0 || n > len(a.b) {
		return ""
	}
	s := string(a.b[:n-1])
	a.b = a.b[min((n+3)&^3, len(a.b)):]
	return s
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func str(s string) []byte {
	b := u32(uint32(len(s) + 1))
	b = append(b, s...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
