package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

// Rebuild makes machine s.Name anew from s: a new tree under the hidden
// build name (from the base cache, s applied to it), the user's home
// carried over from the old tree unless fresh, the old tree kept as a
// snapshot, and the two swapped in one rename. The old machine keeps
// running while the new tree is built; it is stopped only for the home
// copy and the swap, and started again (the new one, or the old one when
// anything failed). An interruption or failure before the swap leaves the
// old machine as it was.
func Rebuild(ctx context.Context, s *Spec, fresh bool, r *Reporter) (err error) {
	release, meta, exists, err := lockExisting(s, r)
	if err != nil {
		return err
	}
	defer release()
	if !exists {
		return failf(125, "create it: sbx create", "machine %s does not exist yet", s.Name)
	}
	dir := buildDir(s.Name)
	if err := removeTree(dir); err != nil {
		return fmt.Errorf("removing a stale build: %w", err)
	}
	defer func() {
		if err != nil {
			removeTree(dir) // best effort: the next create or rebuild removes it too
		}
	}()
	base, releaseBase, err := ensureBase(ctx, s, r)
	if err != nil {
		return err
	}
	err = assemble(ctx, s, base, dir, r)
	releaseBase()
	if err != nil {
		return err
	}
	a := &applier{s: s, meta: meta, rec: emptyRecord(s), want: s.Want(), r: r, detached: true,
		g: treeGuest{name: s.Name, root: dir, binds: machineBinds(s, s.Binds), aptCache: aptCache(s)}}
	a.rec.Binds = a.want.Binds
	if err := a.steps(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// From here the old machine is stopped; put it back up on any failure.
	running := isRunning(s.Name)
	bus, err := machine.Connect(ctx)
	if err != nil {
		return err
	}
	defer bus.Close()
	unit := machine.NspawnUnit(s.Name)
	if running {
		r.Phase("Stopping the old machine")
		if err := stopAndWait(ctx, bus, s.Name); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				bus.StartUnit(context.Background(), unit) // best effort: the old machine back up
			}
		}()
	}
	// Nobody starts the machine while its tree is swapped.
	unbusy, err := markBusy(s.Name, "rebuild")
	if err != nil {
		return err
	}
	defer unbusy()
	if !fresh {
		if err := carryHome(ctx, s, ImageDir(s.Name), dir, r); err != nil {
			return err
		}
	}
	snap := "before-rebuild-" + time.Now().UTC().Format("20060102-150405")
	if err := snapshotLocked(ctx, SnapRef{Machine: s.Name, Snapshot: snap}, r); err != nil {
		return fmt.Errorf("keeping the old machine as a snapshot: %w", err)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.Phase("Swapping the new machine in")
	if err := swapTrees(dir, ImageDir(s.Name)); err != nil {
		return err
	}
	a.detached = false
	a.meta.Created = time.Now().UTC().Format(time.RFC3339)
	if err := a.save(nspawn.StateReady); err != nil {
		return err
	}
	if err := removeTree(dir); err != nil { // now the old tree
		r.Send(Event{Info: fmt.Sprintf("the old tree is left in %s (%v); remove it with sudo rm -rf", dir, err)})
	}
	r.Send(Event{Info: fmt.Sprintf("the old machine is kept as snapshot %s (sbx restore %s %s brings it back)", snap, s.Name, snap)})
	unbusy()
	if running {
		r.Phase("Starting the new machine")
		if err := bus.StartUnit(ctx, unit); err != nil {
			return err
		}
	}
	return nil
}

func isRunning(name string) bool {
	_, err := os.Stat("/run/systemd/machines/" + name)
	return err == nil
}

// stopAndWait stops the machine's unit and waits until machined lets go.
func stopAndWait(ctx context.Context, bus *machine.Bus, name string) error {
	if err := bus.StopUnit(ctx, machine.NspawnUnit(name)); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	return bus.WaitGone(wctx, name)
}

// carryHome copies the user's home directory from the old tree into the
// new one. The old tree is the machine's and its root may have left
// symbolic links anywhere in it: no component of the path is followed,
// and cp copies links as links.
func carryHome(ctx context.Context, s *Spec, oldRoot, newRoot string, r *Reporter) error {
	rel := strings.TrimPrefix(filepath.Clean(s.User.Home), "/")
	src := filepath.Join(oldRoot, rel)
	if err := noLinks(oldRoot, rel); err != nil {
		r.Send(Event{Info: "not carrying the home directory over: " + err.Error()})
		return nil
	}
	if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := noLinks(newRoot, rel); err != nil {
		return err
	}
	r.Phase("Carrying " + s.User.Home + " over")
	dst := filepath.Join(newRoot, rel)
	if err := removeTree(dst); err != nil {
		return err
	}
	out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", "--no-dereference", src, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("copying %s into the new machine: %v: %s", s.User.Home, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// noLinks checks that no component of rel below root is a symbolic link.
func noLinks(root, rel string) error {
	p := root
	for _, c := range strings.Split(rel, "/") {
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link in the machine", strings.TrimPrefix(p, root))
		}
	}
	return nil
}

// markBusy keeps machine name from being started (the busy drop-in) until
// the returned function is called; the caller holds the machine's lock.
func markBusy(name, op string) (unbusy func(), err error) {
	if err := ensureBusyDropIn(); err != nil {
		return nil, err
	}
	if err := ensureRootDir(BusyDir, 0o755); err != nil {
		return nil, err
	}
	marker := filepath.Join(BusyDir, name)
	if err := os.WriteFile(marker, []byte(fmt.Sprintf("%s %d\n", op, os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("marking %s busy: %w", name, err)
	}
	return func() { os.Remove(marker) }, nil // best effort: the next operation rewrites it
}
