package builder

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Export and import move a machine between the privileged helper and a
// file the user chose. The helper never opens that path as root: the CLI
// opens it as the user and hands the open descriptor over a unix socket
// (SCM_RIGHTS), so the helper can do with it only what the user could.
// The socket is abstract (no file to race on) with an unguessable name,
// and the CLI hands the descriptor to a root peer only.

var xferRE = lazyRegexp(`^sbx-xfer-[0-9a-f]{32}$`)

// Offer is a file waiting to be picked up by the privileged helper.
type Offer struct {
	Socket string // pass to the helper (ExportArg.Socket, ImportArg.Socket)
	l      *net.UnixListener
}

// OfferFile listens on a fresh abstract socket and hands f to the first
// peer running as root that connects. Close the Offer when done.
func OfferFile(f *os.File) (*Offer, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	name := "sbx-xfer-" + hex.EncodeToString(b[:])
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: "@" + name, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening for the privileged helper: %w", err)
	}
	o := &Offer{Socket: name, l: l}
	go o.serve(f)
	return o, nil
}

func (o *Offer) serve(f *os.File) {
	for {
		c, err := o.l.AcceptUnix()
		if err != nil {
			return // closed
		}
		cred, err := peerCred(c)
		if err != nil || cred.Uid != 0 {
			c.Close() // not the helper: it gets nothing
			continue
		}
		c.WriteMsgUnix([]byte{'F'}, unix.UnixRights(int(f.Fd())), nil) // the helper reports a failure
		c.Close()
		return
	}
}

// Close stops offering the file.
func (o *Offer) Close() error { return o.l.Close() }

// receiveFile connects to the CLI's socket and takes the descriptor it
// offers, with the credentials of the process that offered it.
func receiveFile(socket string) (*os.File, *ucred, error) {
	if !xferRE().MatchString(socket) {
		return nil, nil, fmt.Errorf("invalid transfer socket name %q", socket)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: "@" + socket, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to sbx for the file: %w", err)
	}
	defer c.Close()
	cred, err := peerCred(c)
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(time.Now().Add(30 * time.Second)) // best effort
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4*4))
	_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, nil, fmt.Errorf("receiving the file from sbx: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, nil, err
	}
	var fds []int
	for i := range msgs {
		got, err := unix.ParseUnixRights(&msgs[i])
		if err == nil {
			fds = append(fds, got...)
		}
	}
	if len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, nil, errors.New("sbx did not send exactly one file")
	}
	return os.NewFile(uintptr(fds[0]), "file from sbx"), cred, nil
}

// checkAccess makes sure f was opened for reading (write false) or
// writing (write true), for a clear message instead of EBADF later.
func checkAccess(f *os.File, write bool) error {
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	mode := fl & unix.O_ACCMODE
	if write && mode == unix.O_RDONLY || !write && mode == unix.O_WRONLY {
		return errors.New("the file sbx passed is not open the right way")
	}
	return nil
}
