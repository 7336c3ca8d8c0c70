package ptytest

import "golang.org/x/sys/unix"

// ioctlGetTermios reads a terminal's mode (TCGETS on Linux).
const ioctlGetTermios = unix.TCGETS
