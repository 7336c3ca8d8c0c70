//go:build !linux

package builder

import (
	"errors"
	"fmt"
	"net"
	"runtime"

	"golang.org/x/sys/unix"
)

// errUnsupported: machines are built on Linux hosts only.
var errUnsupported = fmt.Errorf("building machines needs Linux, not %s: %w", runtime.GOOS, errors.ErrUnsupported)

type ucred struct {
	Pid      int32
	Uid, Gid uint32
}

func unmountDetach(string) error { return errUnsupported }

func isBtrfs(*unix.Statfs_t) bool { return false }

func exchange(string, string) error { return errUnsupported }

func peerCred(*net.UnixConn) (*ucred, error) { return nil, errUnsupported }
