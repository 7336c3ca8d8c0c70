// Package bridge is the host side of every terminal session in a machine
// (sbx run and sbx shell on a terminal, sbx login): one relay that puts the
// host terminal in raw mode and restores it on every way out (panics in any
// goroutine that defers RestoreOnPanic, and the signals its callers catch),
// copies keys to a PTY master and the PTY's output back until EIO, makes
// the PTY follow the host terminal's size on SIGWINCH, and stops and
// continues sbx as a shell's job (StopSelf, Bridge.Stop).
//
// Signals stay with the caller, who knows what they mean for its session;
// Terminating lists those a caller must catch while the terminal is raw,
// since their default action would end sbx with the terminal left raw.
package bridge
