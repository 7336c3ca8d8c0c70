package cli

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
)

// X authority entries are family (2 bytes, big-endian), then address,
// display number, auth name and auth data, each a 2-byte length and bytes.
const (
	xauthFamilyLocal = 256
	xauthFamilyWild  = 65535
)

// copyXauth writes the X authority file src to dst (mode 0600) with the
// host-local entries made to match any host name: the machine has a host
// name of its own, and Xlib looks cookies up by it.
func copyXauth(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out, err := wildXauth(data)
	if err != nil {
		return err
	}
	// dst is in the machine's runtime directory, which the machine's root
	// can write: never follow what it may have put there.
	os.Remove(dst) // best effort
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(out)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func wildXauth(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data))
	for p := 0; p < len(data); {
		if len(data)-p < 2 {
			return nil, errors.New("truncated X authority file")
		}
		family := binary.BigEndian.Uint16(data[p:])
		start := p
		p += 2
		for i := 0; i < 4; i++ {
			if len(data)-p < 2 {
				return nil, errors.New("truncated X authority file")
			}
			n := int(binary.BigEndian.Uint16(data[p:]))
			if len(data)-p-2 < n {
				return nil, errors.New("truncated X authority file")
			}
			p += 2 + n
		}
		entry := append([]byte(nil), data[start:p]...)
		if family == xauthFamilyLocal {
			binary.BigEndian.PutUint16(entry, xauthFamilyWild)
		}
		out = append(out, entry...)
	}
	return out, nil
}
