package bridge

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// raw holds every bridge whose terminal is raw now, so that a panic in any
// goroutine can give the terminals back before the process dies.
var raw struct {
	mu  sync.Mutex
	set map[*Bridge]struct{}
}

func remember(b *Bridge) {
	raw.mu.Lock()
	defer raw.mu.Unlock()
	if raw.set == nil {
		raw.set = map[*Bridge]struct{}{}
	}
	raw.set[b] = struct{}{}
}

func forget(b *Bridge) {
	raw.mu.Lock()
	defer raw.mu.Unlock()
	delete(raw.set, b)
}

// RestoreAll gives back every terminal a bridge has in raw mode.
func RestoreAll() {
	raw.mu.Lock()
	all := make([]*Bridge, 0, len(raw.set))
	for b := range raw.set {
		all = append(all, b)
	}
	raw.mu.Unlock()
	for _, b := range all {
		b.Restore()
	}
}

// RestoreOnPanic is deferred by every goroutine that runs while a terminal
// may be raw (the bridge's own and its callers'): a panic anywhere kills
// the process, which would leave the user's terminal unusable.
func RestoreOnPanic() {
	if r := recover(); r != nil {
		RestoreAll()
		panic(r)
	}
}

// StopSelf stops this process with sig (SIGTSTP, SIGTTIN or SIGTTOU) the
// way a job is stopped, so the shell reports it as for any job ("Stopped",
// not "Stopped (signal)"), and returns once it is continued. The caller
// has sig in signal.Notify: the Go runtime would swallow it, so for the
// moment of the stop its default action is put back.
func StopSelf(sig unix.Signal) error {
	if !handlerFirst {
		return unix.Kill(unix.Getpid(), unix.SIGSTOP)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// Big enough for the kernel's struct sigaction; it is read and written
	// back as it is, but for the handler (its first word).
	var saved, dfl [4]uint64
	if err := sigaction(sig, nil, &saved); err != nil {
		return unix.Kill(unix.Getpid(), unix.SIGSTOP)
	}
	dfl = saved
	dfl[0] = 0 // SIG_DFL
	if err := sigaction(sig, &dfl, nil); err != nil {
		return unix.Kill(unix.Getpid(), unix.SIGSTOP)
	}
	// Sent to this thread, which does not block it: the stop happens on
	// the way out of tgkill, and tgkill returns once sbx is continued.
	err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
	if rerr := sigaction(sig, &saved, nil); err == nil {
		err = rerr
	}
	return err
}

// handlerFirst: the kernel's struct sigaction starts with the handler and
// its sigset_t is 8 bytes (not so on MIPS, where sbx stops with SIGSTOP and
// the shell says "Stopped (signal)").
var handlerFirst = !strings.HasPrefix(runtime.GOARCH, "mips")

func sigaction(sig unix.Signal, act, old *[4]uint64) error {
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
