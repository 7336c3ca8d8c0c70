package agent

import (
	"context"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
)

// touch records activity: a request came in or a session ended.
func (s *Server) touch() { s.lastActive.Store(time.Now().UnixNano()) }

// IdleFor is how long no command has run through the agent at now: zero
// while one runs, otherwise the time since the last request or the end of
// the last session (or since the watch began, if there was none).
func (s *Server) IdleFor(now time.Time) time.Duration {
	if s.ActiveSessions() > 0 {
		return 0
	}
	return now.Sub(time.Unix(0, s.lastActive.Load()))
}

// WatchIdle calls poweroff once the agent has been idle for timeout, until
// ctx ends. A failed poweroff is logged and tried again after another
// timeout. Only commands through the agent count: sbx run and sbx shell.
func (s *Server) WatchIdle(ctx context.Context, timeout time.Duration, poweroff func(context.Context) error) {
	if s.lastActive.Load() == 0 {
		s.touch()
	}
	tick := min(max(timeout/5, 50*time.Millisecond), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			idle := s.IdleFor(now)
			if idle < timeout {
				continue
			}
			s.logf("no command for %s (StopWhenIdle=%s): powering the machine off", idle.Round(10*time.Millisecond), timeout)
			if err := poweroff(ctx); err != nil {
				s.logf("powering off: %v", err)
				s.touch()
				continue
			}
			return
		}
	}
}

// guestPoweroff shuts the guest down the ordinary way (poweroff.target,
// as systemctl poweroff does, over the guest systemd's private socket), so
// the host's systemd-nspawn@ unit ends cleanly.
func guestPoweroff(ctx context.Context) error {
	bus, err := machine.ConnectManager(ctx)
	if err != nil {
		return err
	}
	defer bus.Close()
	return bus.PoweroffSystem(ctx)
}
