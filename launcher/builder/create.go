package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

// build makes the empty machine s.Name: the cached base copied and
// configured (hostname, locale, the user, the agent), recorded as having
// nothing of the .sandbox applied beyond that; Apply then applies the
// rest as for any machine. It appears under its final name only once its
// tree is complete; a failure or interruption before that leaves nothing
// but a hidden build directory, which this function removes (and the next
// create removes too if this process was killed).
func build(ctx context.Context, s *Spec, r *Reporter) (nspawn.Meta, error) {
	dir := buildDir(s.Name)
	if err := removeTree(dir); err != nil {
		return nspawn.Meta{}, fmt.Errorf("removing a stale build: %w", err)
	}
	base, releaseBase, err := ensureBase(ctx, s, r)
	if err != nil {
		return nspawn.Meta{}, err
	}
	err = assemble(ctx, s, base, dir, r)
	releaseBase()
	if err != nil {
		removeTree(dir) // best effort: the next create removes it too
		return nspawn.Meta{}, err
	}
	// Everything but Setup= is applied while the tree is still hidden, as
	// in a rebuild: a Ctrl-C or a bad package during the first create
	// leaves no machine. Setup= runs once the machine is in place, which
	// keeps it (marked not in line) when a line fails.
	a := &applier{s: s, rec: emptyRecord(s), want: s.Want(), r: r, detached: true,
		meta: nspawn.Meta{Created: time.Now().UTC().Format(time.RFC3339)},
		g:    treeGuest{name: s.Name, root: dir, binds: machineBinds(s, s.Binds), aptCache: aptCache(s)}}
	a.rec.Binds = a.want.Binds
	if err := a.run(ctx, a.beforeSetup()); err != nil {
		removeTree(dir) // best effort
		return nspawn.Meta{}, err
	}
	a.detached = false
	if err := a.save(nspawn.StateIncomplete); err != nil {
		removeTree(dir) // best effort
		return nspawn.Meta{}, err
	}
	if err := os.Rename(dir, ImageDir(s.Name)); err != nil {
		removeTree(dir) // best effort
		os.Remove(nspawn.Path(s.Name))
		return nspawn.Meta{}, fmt.Errorf("moving the machine into place: %w", err)
	}
	return a.meta, nil
}

// emptyRecord is what configure applies: the base, the hostname, the
// agent's settings and the login shell.
func emptyRecord(s *Spec) contract.Record {
	return contract.Record{Base: s.Base(), Hostname: s.Hostname, StopWhenIdle: contract.IdleSeconds(s), Shell: s.Shell}
}

// assemble copies the base and configures it.
func assemble(ctx context.Context, s *Spec, base, dir string, r *Reporter) error {
	r.Phase("Copying the base system")
	if err := copyTree(base, dir); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return configure(ctx, s, dir, r)
}

// ensureRuntimeDir makes the host side of the guest's /run/sbx, owned by
// the user so that only they (and root) can reach the agent's socket.
func ensureRuntimeDir(s *Spec) error {
	dir := HostRuntimeDir(s.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chown(dir, s.User.UID, s.User.GID); err != nil {
		return err
	}
	return os.Chmod(dir, 0o700)
}

// aptCache is the host's package cache for machines of s's base, shared
// by creates, applies and rebuilds so a package is downloaded once per
// host. apt verifies every cached file against the signed archive index,
// so one machine cannot hand another a forged package through it.
func aptCache(s *Spec) string { return aptCacheOf(s.Base()) }

// aptCacheOf is the host's package cache for machines of base b.
func aptCacheOf(b contract.Base) string {
	dir := filepath.Join(layout.AptCacheDir, b.Distribution+"-"+b.Release+"-"+b.Arch)
	if err := os.MkdirAll(filepath.Join(dir, "partial"), 0o755); err != nil {
		return "" // best effort: the machine's own cache then
	}
	return dir
}
