// Package bridge is the host side of a terminal session in a machine: it
// puts the host terminal in raw mode (and restores it on every way out,
// panics included), copies keys to a PTY master and the PTY's output back,
// and makes the PTY follow the host terminal's size on SIGWINCH.
package bridge
