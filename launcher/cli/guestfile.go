package cli

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// readGuestFile reads a file the machine wrote into its runtime directory
// (the guest's /run/sbx): a regular file only, never through a symbolic
// link, and at most max bytes. The machine's root writes that directory;
// a link to /dev/zero or a FIFO there must not hang or flood sbx.
func readGuestFile(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}
