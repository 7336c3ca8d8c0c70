//go:build !linux

package trust

import "errors"

// CheckOwner is only implemented on Linux, the only target of sbx.
func CheckOwner(path string, uid int) error {
	return errors.New("checking file ownership is only supported on Linux")
}
