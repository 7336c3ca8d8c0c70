package machine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
)

// Watch names what a wait listens to: the signals that can change the
// answer of its check. Each is optional.
type Watch struct {
	Unit    string        // a systemd unit: its PropertiesChanged
	Jobs    bool          // systemd's JobRemoved (a job finished)
	Machine bool          // machined's MachineNew and MachineRemoved
	Startup bool          // systemd's StartupFinished (the boot is done)
	Every   time.Duration // also check this often, for what sends no signal (0: never)
}

// Wait calls check once, and again after every signal named by w (and every
// w.Every), until it reports done or fails, or ctx ends. The signals are
// subscribed to before the first check, so no change between the check and
// the subscription is missed; every wait in sbx goes through here.
func (b *Bus) Wait(ctx context.Context, w Watch, check func(ctx context.Context) (bool, error)) error {
	return b.waitSignals(ctx, w, func(ctx context.Context, _ *dbus.Signal) (bool, error) { return check(ctx) })
}

// waitSignals is Wait with the signal that woke it (nil for the first
// check and for w.Every).
func (b *Bus) waitSignals(ctx context.Context, w Watch, check func(context.Context, *dbus.Signal) (bool, error)) error {
	var rules [][]dbus.MatchOption
	if w.Unit != "" {
		rules = append(rules, []dbus.MatchOption{dbus.WithMatchSender(systemdDest),
			dbus.WithMatchObjectPath(unitPath(w.Unit)), dbus.WithMatchInterface(propsIface), dbus.WithMatchMember("PropertiesChanged")})
	}
	if w.Jobs {
		rules = append(rules, []dbus.MatchOption{dbus.WithMatchSender(systemdDest),
			dbus.WithMatchObjectPath(systemdPath), dbus.WithMatchInterface(systemdMgr), dbus.WithMatchMember("JobRemoved")})
	}
	if w.Machine {
		for _, member := range []string{"MachineNew", "MachineRemoved"} {
			rules = append(rules, []dbus.MatchOption{dbus.WithMatchSender(machinedDest),
				dbus.WithMatchObjectPath(machinedPath), dbus.WithMatchInterface(machinedMgr), dbus.WithMatchMember(member)})
		}
	}
	if w.Startup {
		rules = append(rules, []dbus.MatchOption{dbus.WithMatchSender(systemdDest),
			dbus.WithMatchObjectPath(systemdPath), dbus.WithMatchInterface(systemdMgr), dbus.WithMatchMember("StartupFinished")})
	}
	if b.direct {
		rules = nil // systemd sends every signal to its private connections
	}
	if w.Unit != "" || w.Jobs || w.Startup {
		if err := b.subscribeSystemd(ctx); err != nil {
			return err
		}
	}
	ch := make(chan *dbus.Signal, 16)
	b.conn.Signal(ch)
	defer b.conn.RemoveSignal(ch)
	for _, r := range rules {
		if err := b.conn.AddMatchSignalContext(ctx, r...); err != nil {
			return fmt.Errorf("listening to the system bus: %w", err)
		}
		defer b.conn.RemoveMatchSignal(r...) // best effort: the connection ends soon anyway
	}
	var tick <-chan time.Time
	if w.Every > 0 {
		t := time.NewTicker(w.Every)
		defer t.Stop()
		tick = t.C
	}
	for sig := (*dbus.Signal)(nil); ; {
		if done, err := check(ctx, sig); done || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			sig = nil
		case s, ok := <-ch:
			if !ok {
				return errors.New("the system bus connection was closed while waiting")
			}
			if !w.wants(s) {
				continue // another wait's, or (on a private connection) any of systemd's
			}
			sig = s
		}
	}
}

// wants reports whether sig is one of the signals w listens to: the
// connection delivers all it receives to every wait.
func (w Watch) wants(sig *dbus.Signal) bool {
	switch sig.Name {
	case propsIface + ".PropertiesChanged":
		return w.Unit != "" && sig.Path == unitPath(w.Unit)
	case systemdMgr + ".JobRemoved":
		return w.Jobs
	case machinedMgr + ".MachineNew", machinedMgr + ".MachineRemoved":
		return w.Machine
	case systemdMgr + ".StartupFinished":
		return w.Startup
	}
	return false
}

// subscribeSystemd asks systemd, once per connection, to send unit and job
// signals: on the system bus it sends them only while some client is
// subscribed. Its private connections get them unasked.
func (b *Bus) subscribeSystemd(ctx context.Context) error {
	if b.direct {
		return nil
	}
	b.subscribe.Do(func() {
		b.subErr = explain(b.systemd().CallWithContext(ctx, systemdMgr+".Subscribe", 0).Err, "subscribing to systemd's signals")
	})
	return b.subErr
}

// unitPath is the object path systemd gives unit (sd_bus_path_encode:
// every byte but [A-Za-z0-9] becomes _XX), known before the unit is loaded.
func unitPath(unit string) dbus.ObjectPath {
	const hex = "0123456789abcdef"
	out := []byte("/org/freedesktop/systemd1/unit/")
	if unit == "" {
		return dbus.ObjectPath(append(out, '_'))
	}
	for i := 0; i < len(unit); i++ {
		c := unit[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' && i > 0 {
			out = append(out, c)
		} else {
			out = append(out, '_', hex[c>>4], hex[c&15])
		}
	}
	return dbus.ObjectPath(out)
}
