package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sbxdev/sbx/launcher/nspawn"
)

// Create builds machine s.Name, or finishes or updates it when it exists.
// A machine appears under its final name only once its tree is complete; a
// failure or interruption before that leaves nothing but a hidden build
// directory, which this function removes (and the next create removes too
// if this process was killed).
func Create(ctx context.Context, s *Spec, r *Reporter) error {
	release, err := lock(s.Name, func() {
		r.Phase("Waiting for another create of " + s.Name + " to finish")
	})
	if err != nil {
		return err
	}
	defer release()

	img := ImageDir(s.Name)
	meta, metaErr := nspawn.ReadMeta(s.Name)
	_, imgErr := os.Lstat(img)
	exists := imgErr == nil
	switch {
	case exists && errors.Is(metaErr, nspawn.ErrNotSbx), exists && errors.Is(metaErr, os.ErrNotExist):
		return failf(125, "set another Name= in .sandbox, or remove that machine (machinectl remove "+s.Name+")",
			"a machine named %s already exists and was not made by sbx", s.Name)
	case exists && metaErr != nil:
		return metaErr
	case exists && meta.State == nspawn.StateReady:
		if err := writeSettings(s, meta.Created, nspawn.StateReady); err != nil {
			return err
		}
		r.Send(Event{Info: "machine " + s.Name + " already exists; its settings were brought up to date with .sandbox"})
		return nil
	case exists: // incomplete: only Setup= is left to do
		r.Send(Event{Info: "machine " + s.Name + " exists but its Setup= did not finish; running it again"})
		return finish(ctx, s, meta.Created, r)
	}

	build := buildDir(s.Name)
	if err := removeTree(build); err != nil {
		return fmt.Errorf("removing a stale build: %w", err)
	}
	base, releaseBase, err := ensureBase(ctx, s, r)
	if err != nil {
		return err
	}
	err = assemble(ctx, s, base, build, r)
	releaseBase()
	if err != nil {
		removeTree(build) // best effort: the next create removes it too
		return err
	}
	created := time.Now().UTC().Format(time.RFC3339)
	if err := writeSettings(s, created, nspawn.StateIncomplete); err != nil {
		removeTree(build) // best effort
		return err
	}
	if err := os.Rename(build, img); err != nil {
		removeTree(build) // best effort
		return fmt.Errorf("moving the machine into place: %w", err)
	}
	return finish(ctx, s, created, r)
}

// assemble copies the base and configures it.
func assemble(ctx context.Context, s *Spec, base, build string, r *Reporter) error {
	r.Phase("Copying the base system")
	if err := copyTree(base, build); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return configure(ctx, s, build, r)
}

// finish runs Setup= and marks the machine ready.
func finish(ctx context.Context, s *Spec, created string, r *Reporter) error {
	if err := ensureRuntimeDir(s); err != nil {
		return err
	}
	if err := runSetup(ctx, s, r); err != nil {
		return err
	}
	return writeSettings(s, created, nspawn.StateReady)
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

func writeSettings(s *Spec, created, state string) error {
	binds := []nspawn.Mount{
		{Host: s.Project},
		{Host: LibDir, ReadOnly: true},
		{Host: HostRuntimeDir(s.Name), Guest: "/run/sbx"},
	}
	for _, b := range s.Binds {
		binds = append(binds, nspawn.Mount{Host: b.Host, Guest: b.Guest, ReadOnly: b.ReadOnly})
	}
	return nspawn.Write(s.Name, nspawn.Settings{
		Meta: nspawn.Meta{
			Project: s.Project, Owner: s.User.UID, Distribution: s.Distribution,
			Release: s.Release, State: state, Created: created,
		},
		Hostname: s.Hostname,
		Binds:    binds,
		Private:  s.Private,
	})
}
