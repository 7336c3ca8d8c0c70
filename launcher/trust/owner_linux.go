package trust

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/sbxdev/sbx/launcher/userdb"
)

// CheckOwner refuses a .sandbox that someone else could have written: one
// owned by a user other than uid (root is fine) or writable by its group or
// by others. The error is an *OwnerError saying why and how to fix it.
func CheckOwner(path string, uid int) error {
	st, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("checking %s: no owner information", path)
	}
	if owner := int(sys.Uid); owner != uid && owner != 0 {
		name := strconv.Itoa(owner)
		if u, err := userdb.LookupUID(owner); err == nil {
			name = u.Name + " (uid " + name + ")"
		}
		return &OwnerError{
			Path:   path,
			Reason: fmt.Sprintf("is owned by %s, not by you, so another user could change what your machine runs", name),
			Fix:    fmt.Sprintf("review it, then make it yours: sudo chown %d %s", uid, path),
		}
	}
	if perm := st.Mode().Perm(); perm&0o022 != 0 {
		return &OwnerError{
			Path:   path,
			Reason: fmt.Sprintf("is writable by its group or by others (mode %04o), so they could change what your machine runs", perm),
			Fix:    "run: chmod go-w " + path,
		}
	}
	return nil
}
