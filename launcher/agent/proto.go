package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"golang.org/x/sys/unix"
)

// A message on the socket is one type byte, a 4-byte big-endian payload
// length and the payload. Descriptors ride along as SCM_RIGHTS on the
// message's sendmsg; the receiver queues whatever arrives and the message
// type says how many to take, so it does not matter where the kernel cuts
// the stream.
const (
	msgRun      byte = 'R' // client→agent: runHeader JSON; fds: the client's non-terminal stdio, in fd order
	msgPing     byte = 'P' // client→agent: pingHeader JSON
	msgSessions byte = 'A' // client→agent: no payload; answered by msgCount
	msgSignal   byte = 'S' // client→agent: one byte, the signal number
	msgStarted  byte = 'T' // agent→client: startedHeader JSON; fds: the PTY master when PTY is set
	msgExit     byte = 'X' // agent→client: 4-byte status, then text to print on stderr (may be empty)
	msgError    byte = 'E' // agent→client: text for the user; the request was not run
	msgPong     byte = 'O' // agent→client: the guest's system state
	msgCount    byte = 'C' // agent→client: 4-byte number of active sessions
)

// maxPayload bounds a message so a broken peer cannot make us allocate
// without limit; a request's argv and environment fit easily.
const maxPayload = 16 << 20

// maxFds is how many descriptors one message may carry (three stdio ends).
const maxFds = 4

// runHeader is the run request as it travels.
type runHeader struct {
	Argv []string
	Env  []string
	Dir  string
	// DirFallback replaces a Dir the guest lacks (shims); older agents
	// ignore it and refuse such a Dir as before.
	DirFallback string `json:",omitempty"`
	Root        bool
	Login       bool
	TTY         [3]bool // which of stdin/stdout/stderr are terminals on the client
	Rows        uint16  // initial window size, 0 when unknown
	Cols        uint16
	Term        string // TERM for the PTY when Env has none
}

// passed reports how many descriptors accompany the request.
func (h *runHeader) passed() int {
	n := 0
	for _, t := range h.TTY {
		if !t {
			n++
		}
	}
	return n
}

// usesPTY reports whether the command gets a PTY.
func (h *runHeader) usesPTY() bool { return h.TTY[0] || h.TTY[1] || h.TTY[2] }

// startedHeader tells the client the command runs.
type startedHeader struct {
	Pid int  // in the guest's PID namespace
	PTY bool // a PTY master accompanies this message
}

// pingHeader bounds how long the agent waits for the guest to come up.
type pingHeader struct {
	TimeoutMs int64
}

// wire frames messages on a unix stream connection. Sends may come from
// several goroutines; receives from one.
type wire struct {
	c    *net.UnixConn
	wmu  sync.Mutex
	buf  []byte // received, not yet consumed
	rbuf []byte
	oob  []byte
	fds  []int // received, not yet claimed
}

func newWire(c *net.UnixConn) *wire {
	return &wire{c: c, rbuf: make([]byte, 4096), oob: make([]byte, unix.CmsgSpace(maxFds*4))}
}

// send writes one message with optional descriptors.
func (w *wire) send(typ byte, payload []byte, fds ...int) error {
	msg := make([]byte, 5+len(payload))
	msg[0] = typ
	binary.BigEndian.PutUint32(msg[1:5], uint32(len(payload)))
	copy(msg[5:], payload)
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	n, _, err := w.c.WriteMsgUnix(msg, oob, nil)
	if err == nil && n < len(msg) {
		_, err = w.c.Write(msg[n:])
	}
	return err
}

// recv reads the next message. io.EOF means the peer closed cleanly
// between messages.
func (w *wire) recv() (byte, []byte, error) {
	for {
		if len(w.buf) >= 5 {
			n := binary.BigEndian.Uint32(w.buf[1:5])
			if n > maxPayload {
				return 0, nil, fmt.Errorf("message of %d bytes is too large", n)
			}
			if len(w.buf) >= 5+int(n) {
				typ := w.buf[0]
				payload := append([]byte(nil), w.buf[5:5+n]...)
				w.buf = w.buf[5+n:]
				return typ, payload, nil
			}
		}
		n, oobn, _, _, err := w.c.ReadMsgUnix(w.rbuf, w.oob)
		n, oobn = max(n, 0), max(oobn, 0) // negative on some errors
		if oobn > 0 {
			w.takeRights(w.oob[:oobn])
		}
		w.buf = append(w.buf, w.rbuf[:n]...)
		if err != nil {
			return 0, nil, err
		}
		if n == 0 && oobn == 0 {
			if len(w.buf) > 0 {
				return 0, nil, io.ErrUnexpectedEOF
			}
			return 0, nil, io.EOF
		}
	}
}

func (w *wire) takeRights(oob []byte) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return
	}
	for _, m := range msgs {
		if fds, err := unix.ParseUnixRights(&m); err == nil {
			w.fds = append(w.fds, fds...)
		}
	}
}

// takeFds claims n received descriptors; the caller closes them.
func (w *wire) takeFds(n int) ([]int, error) {
	if len(w.fds) < n {
		return nil, errors.New("protocol error: expected file descriptors did not arrive")
	}
	fds := w.fds[:n:n]
	w.fds = w.fds[n:]
	return fds, nil
}

// close closes the connection and any descriptors nobody claimed.
func (w *wire) close() {
	for _, fd := range w.fds {
		unix.Close(fd) // best effort
	}
	w.fds = nil
	w.c.Close() // best effort
}

// sendExit reports the command's status and an optional message for stderr.
func (w *wire) sendExit(code int, msg string) error {
	p := make([]byte, 4+len(msg))
	binary.BigEndian.PutUint32(p, uint32(int32(code)))
	copy(p[4:], msg)
	return w.send(msgExit, p)
}

// parseExit is the inverse of sendExit.
func parseExit(p []byte) (int, string, error) {
	if len(p) < 4 {
		return 0, "", errors.New("protocol error: short exit message")
	}
	return int(int32(binary.BigEndian.Uint32(p))), string(p[4:]), nil
}
