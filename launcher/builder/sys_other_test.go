//go:build !linux

package builder

func bindMount(string, string) error { return errUnsupported }
