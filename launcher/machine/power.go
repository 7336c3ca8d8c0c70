package machine

import (
	"context"
	"syscall"
)

// SigRTMin is glibc's SIGRTMIN (the kernel's 32 plus the two glibc keeps
// for itself); systemd and machinectl count real-time signals from it.
const SigRTMin = syscall.Signal(34)

// Signals a container's systemd (PID 1 inside) understands, as machinectl
// sends them: SIGRTMIN+4 starts poweroff.target, SIGINT starts
// ctrl-alt-del.target, which reboots.
const (
	SignalPoweroff = SigRTMin + 4
	SignalReboot   = syscall.SIGINT
)

// Poweroff asks the machine's init to shut down cleanly, like
// `machinectl poweroff`; it returns once the request is sent.
func (b *Bus) Poweroff(ctx context.Context, name string) error {
	return b.Kill(ctx, name, "leader", SignalPoweroff)
}

// Reboot asks the machine's init to reboot, like `machinectl reboot`;
// systemd-nspawn@.service restarts the container (exit status 133).
func (b *Bus) Reboot(ctx context.Context, name string) error {
	return b.Kill(ctx, name, "leader", SignalReboot)
}
