//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package ptytest

import "golang.org/x/sys/unix"

// ioctlGetTermios reads a terminal's mode (TIOCGETA on the BSDs).
const ioctlGetTermios = unix.TIOCGETA
