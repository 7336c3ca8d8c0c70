package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// Apply brings machine s.Name in line with s: what its record says was
// applied is compared with what s wants, and each key's change is made
// the way the contract says (README, "when a change takes effect"). A
// machine that does not exist is built first and then applied to, so
// create is "apply to an empty machine".
func Apply(ctx context.Context, s *Spec, r *Reporter) error {
	release, meta, exists, err := lockExisting(s, r)
	if err != nil {
		return err
	}
	defer release()
	if !exists {
		if meta, err = build(ctx, s, r); err != nil {
			return err
		}
	}
	return applyTo(ctx, s, meta, !exists, r)
}

// Create is Apply: the CLI's `sbx create` and the first use both end here.
func Create(ctx context.Context, s *Spec, r *Reporter) error { return Apply(ctx, s, r) }

// lockExisting takes machine s.Name's lock, then reads what the machine is
// (existing): read before the lock, another operation could change it in
// between. release is nil when err is not.
func lockExisting(s *Spec, r *Reporter) (release func(), meta nspawn.Meta, exists bool, err error) {
	if release, err = lockMachine(s.Name, r); err != nil {
		return nil, meta, false, err
	}
	if meta, exists, err = existing(s); err != nil {
		release()
		return nil, meta, exists, err
	}
	return release, meta, exists, nil
}

// existing reads the machine's settings, refusing a machine that is not
// sbx's, another user's, or another project's (two .sandbox files with
// the same Name=).
func existing(s *Spec) (nspawn.Meta, bool, error) {
	meta, err := nspawn.ReadMeta(s.Name)
	_, imgErr := os.Lstat(ImageDir(s.Name))
	exists := imgErr == nil
	switch {
	case !exists && (err == nil || errors.Is(err, os.ErrNotExist)):
		return nspawn.Meta{}, false, nil
	case exists && (errors.Is(err, nspawn.ErrNotSbx) || errors.Is(err, os.ErrNotExist)):
		return meta, true, failf(125, "set another Name= in .sandbox, or remove that machine (machinectl remove "+s.Name+")",
			"a machine named %s already exists and was not made by sbx", s.Name)
	case err != nil:
		return meta, true, err
	case meta.Owner != s.User.UID:
		return meta, true, failf(125, "set another Name= in .sandbox",
			"machine %s belongs to another user (uid %d)", s.Name, meta.Owner)
	case meta.Project != s.Project:
		return meta, true, failf(125, NameCollisionHint(s.Name, meta.Project),
			"machine %s is the machine of %s, and %s names it too (Name=%s)", s.Name, meta.Project, s.Project, s.Name)
	}
	return meta, true, nil
}

// NameCollisionHint is the fix for two projects naming one machine.
func NameCollisionHint(name, owner string) string {
	return fmt.Sprintf("give this project a Name= of its own in its .sandbox (or delete Name= for a default one); "+
		"if %s moved here, remove its old machine first: sbx rm %s", owner, name)
}

// applier carries one apply: what is recorded so far, saved after every
// step, so an interrupted apply keeps what it did and the next one goes on.
type applier struct {
	s     *Spec
	meta  nspawn.Meta
	rec   contract.Record
	want  contract.Record
	g     guest
	r     *Reporter
	notes []string // what takes effect only at the next start
	// detached: the tree is not (yet) the machine's, as in a rebuild; the
	// record is kept in memory and saved by whoever puts the tree in place.
	detached bool
}

// applyTo applies s to the existing machine described by meta (built:
// by this very call).
func applyTo(ctx context.Context, s *Spec, meta nspawn.Meta, built bool, r *Reporter) error {
	a := &applier{s: s, meta: meta, want: s.Want(), r: r}
	if meta.Applied == "" {
		// Made before sbx kept a record: take the .sandbox as applied
		// (Setup= again only if it never finished, as before).
		a.rec = a.want
		a.rec.Base.Distribution, a.rec.Base.Release = meta.Distribution, meta.Release
		if meta.State != nspawn.StateReady {
			a.rec.Setup = nil
		}
		r.Send(Event{Info: "machine " + s.Name + " has no record of applied settings (made by an older sbx); taking .sandbox as applied"})
	} else {
		rec, err := contract.ParseRecord(meta.Applied)
		if err != nil {
			return failf(125, "sbx rebuild makes the machine anew from .sandbox", "machine %s: %v", s.Name, err)
		}
		a.rec = rec
		if meta.State != nspawn.StateReady && !built {
			r.Send(Event{Info: "machine " + s.Name + " exists but its Setup= did not finish; running it again"})
		}
	}
	a.g = guestOf(s, a.rec.Binds)
	if !a.g.live() {
		// Its tree is used by a throwaway nspawn: nobody boots it meanwhile.
		unbusy, err := markBusy(s.Name, "apply")
		if err != nil {
			return err
		}
		defer unbusy()
	}
	if err := ensureRuntimeDir(s); err != nil {
		return err
	}
	if err := a.steps(ctx); err != nil {
		return err
	}
	if err := a.save(nspawn.StateReady); err != nil {
		return err
	}
	if len(a.notes) > 0 {
		r.Send(Event{NextStart: a.notes})
	}
	return nil
}

// steps applies every key's change, in the order the contract needs:
// settings before packages, packages before the Setup= lines using them.
func (a *applier) steps(ctx context.Context) error {
	return a.run(ctx, append(a.beforeSetup(), a.setup))
}

// applyStep applies one concern's part of the changes.
type applyStep = func(context.Context, contract.Changes) error

// beforeSetup is every step but Setup=, in order.
func (a *applier) beforeSetup() []applyStep {
	return []applyStep{a.homeParents, a.binds, a.devices, a.private, a.hostname, a.agent, a.packages, a.hostShell, a.shell}
}

// run applies steps to the difference between the record and s.
func (a *applier) run(ctx context.Context, steps []applyStep) error {
	ch := contract.Diff(a.rec, a.want)
	for _, step := range steps {
		if err := step(ctx, ch); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
	}
	return nil
}

// guestOf picks how commands reach machine s.Name: its agent when it runs.
func guestOf(s *Spec, binds []layout.Bind) guest {
	if _, err := os.Stat("/run/systemd/machines/" + s.Name); err == nil {
		return agentGuest{name: s.Name}
	}
	return treeGuest{name: s.Name, root: ImageDir(s.Name), binds: machineBinds(s, binds), aptCache: aptCache(s)}
}

// save writes the record, and the .nspawn rendered from it.
func (a *applier) save(state string) error {
	if a.detached {
		return nil
	}
	m := a.meta
	m.Project, m.Owner, m.State = a.s.Project, a.s.User.UID, state
	m.Distribution, m.Release, m.Private = a.rec.Base.Distribution, a.rec.Base.Release, a.rec.Private
	m.Applied = a.rec.Encode()
	a.meta = m
	return nspawn.Write(a.s.Name, nspawn.Settings{
		Meta: m, Hostname: a.rec.Hostname, Private: a.rec.Private,
		Binds: append(append(layout.StandardBinds(a.s.Name, a.s.Project), a.rec.Binds...), deviceBinds(a.rec.Devices)...),
	})
}

func (a *applier) note(s string) { a.notes = append(a.notes, s) }

// binds: the .nspawn is rewritten; a running machine gets added binds
// mounted and removed ones unmounted at once where that works.
func (a *applier) binds(ctx context.Context, ch contract.Changes) error {
	if len(ch.BindsAdd)+len(ch.BindsRemove) == 0 {
		return nil
	}
	a.rec.Binds = a.want.Binds
	if err := a.save(a.meta.State); err != nil {
		return err
	}
	if tg, ok := a.g.(treeGuest); ok {
		tg.binds = machineBinds(a.s, a.rec.Binds) // Setup= lines see the new binds
		a.g = tg
		return nil
	}
	for _, b := range ch.BindsRemove {
		if err := a.g.run(ctx, a.r.Log, "", "umount", "--", b.Target()); err != nil {
			a.note("Bind= -" + b.Host + " (still mounted: " + err.Error() + ")")
		}
	}
	if len(ch.BindsAdd) == 0 {
		return nil
	}
	bus, err := machine.Connect(ctx)
	if err != nil {
		for _, b := range ch.BindsAdd {
			a.note("Bind= +" + b.Host)
		}
		return nil
	}
	defer bus.Close()
	for _, b := range ch.BindsAdd {
		if err := bus.BindMount(ctx, a.s.Name, b.Host, b.Target(), b.ReadOnly, true); err != nil {
			a.r.Log(err.Error())
			a.note("Bind= +" + b.Host)
		}
	}
	return nil
}

// private: a network namespace cannot be swapped under a running machine.
func (a *applier) private(_ context.Context, ch contract.Changes) error {
	if ch.Private == nil {
		return nil
	}
	a.rec.Private = *ch.Private
	if a.g.live() {
		a.note("Private=" + yesNo(*ch.Private))
	}
	return a.save(a.meta.State)
}

// hostname: /etc/hostname, /etc/hosts and (running) the hostname itself.
func (a *applier) hostname(ctx context.Context, ch contract.Changes) error {
	if ch.Hostname == "" {
		return nil
	}
	a.r.Phase("Setting the hostname to " + ch.Hostname)
	live := "no"
	if a.g.live() {
		live = "yes"
	}
	script := `printf '%s\n' "$1" >/etc/hostname && printf '%s' "$2" >/etc/hosts && if [ "$3" = yes ]; then hostname "$1"; fi`
	if err := a.g.run(ctx, a.r.Log, "", "sh", "-c", script, "sh", ch.Hostname, hostsFile(ch.Hostname), live); err != nil {
		return failf(125, "", "setting the hostname in machine %s: %v", a.s.Name, err)
	}
	a.rec.Hostname = ch.Hostname
	return a.save(a.meta.State)
}

// agent: agent.conf rewritten, and a running agent told to reload it.
func (a *applier) agent(ctx context.Context, ch contract.Changes) error {
	if ch.StopWhenIdle == nil {
		return nil
	}
	live := "no"
	if a.g.live() {
		live = "yes"
	}
	script := `mkdir -p "${1%/*}" && printf '%s' "$2" >"$1" && if [ "$3" = yes ]; then systemctl kill --kill-whom=main --signal=HUP sbx-agent.service || true; fi`
	if err := a.g.run(ctx, a.r.Log, "", "sh", "-c", script, "sh", layout.AgentConf, agentConf(a.s), live); err != nil {
		return failf(125, "", "writing the agent's settings in machine %s: %v", a.s.Name, err)
	}
	a.rec.StopWhenIdle = *ch.StopWhenIdle
	return a.save(a.meta.State)
}

// setup: lines not applied before run as root in the project directory,
// in file order; lines applied before never run again.
func (a *applier) setup(ctx context.Context, ch contract.Changes) error {
	done := map[string]bool{}
	for _, id := range a.rec.Setup {
		done[id] = true
	}
	keep := func() {
		a.rec.Setup = nil
		for _, id := range a.want.Setup {
			if done[id] {
				a.rec.Setup = append(a.rec.Setup, id)
			}
		}
	}
	for n, i := range ch.SetupNew {
		argv := a.s.Setup[i]
		a.r.Phase(fmt.Sprintf("Setup %d/%d: %s", n+1, len(ch.SetupNew), strings.Join(argv, " ")))
		err := a.g.run(ctx, func(l string) { a.r.Send(Event{Out: l}) }, a.s.Project, argv...)
		if err != nil {
			keep()
			a.save(a.meta.State) // best effort: the error matters more
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return failf(exitCode(err),
				"fix that Setup= line in .sandbox, sbx allow, and run again: the lines that ran are not run again",
				"Setup= line %d (%s) failed with exit status %d", i+1, strings.Join(argv, " "), exitCode(err))
		}
		done[a.want.Setup[i]] = true
		keep()
		if err := a.save(a.meta.State); err != nil {
			return err
		}
	}
	if len(ch.SetupNew) == 0 && ch.SetupRemoved == 0 {
		return nil
	}
	a.rec.Setup = a.want.Setup
	return nil
}

func lastLines(tail []string, l string, n int) []string {
	tail = append(tail, l)
	if len(tail) > n {
		tail = tail[1:]
	}
	return tail
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// importedRecord is an archive's record of applied settings as it holds
// for the imported machine: its extra binds were not imported (the next
// use adds those the .sandbox names) and its hostname may have changed.
// An archive without a valid record gives none.
func importedRecord(applied, hostname string) string {
	rec, err := contract.ParseRecord(applied)
	if applied == "" || err != nil {
		return ""
	}
	rec.Binds, rec.Hostname = nil, hostname
	// The archive is someone else's: keep only what passes the rules (its
	// values are printed in summaries and compared, never run).
	rec.Packages = slices.DeleteFunc(rec.Packages, func(p string) bool { return sandboxfile.ValidPackage(p) != nil })
	rec.Setup = slices.DeleteFunc(rec.Setup, func(id string) bool { return !setupIDRE().MatchString(id) })
	b := rec.Base
	if sandboxfile.ValidDistribution(b.Distribution) != nil || sandboxfile.ValidRelease(b.Release) != nil ||
		sandboxfile.ValidMirror(b.Mirror) != nil || !archRE().MatchString(b.Arch) {
		rec.Base = contract.Base{}
	}
	if rec.Shell != "" && (!filepath.IsAbs(rec.Shell) || strings.ContainsFunc(rec.Shell, func(r rune) bool { return r < 0x20 || r == 0x7f })) {
		rec.Shell = ""
	}
	return rec.Encode()
}

var setupIDRE = lazyRegexp(`^[0-9a-f]{16}$`)
