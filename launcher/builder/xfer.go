package builder

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Export and import move a machine between the privileged helper and a
// file the user chose. The helper never opens that path as root: the CLI
// opens it as the user and passes the open descriptor in
// StartTransientUnit as the unit's standard input, the way it passes the
// pipe for the unit's output. No socket is involved, so no other process
// (a machine's root on the host's network, say) can take the file or slip
// in its own.

// passedFile is the file the CLI passed as standard input, checked to be
// open for writing (export) or reading (import).
func passedFile(write bool) (*os.File, error) {
	f := os.NewFile(0, "the file passed by sbx")
	if err := checkAccess(f, write); err != nil {
		return nil, err
	}
	return f, nil
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
