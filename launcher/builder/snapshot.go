package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/nspawn"
)

// SnapshotsDir holds the snapshots, one directory per machine. Both levels
// are mode 0755 so users list snapshots with a plain directory read: the
// file names carry the snapshot name and kind, stat gives date and size.
// The archives are 0600 and btrfs snapshots live in a 0700 directory: they
// hold the machine's /etc/shadow and setuid programs.
const SnapshotsDir = "/var/lib/sbx/snapshots"

// Snapshot kinds, which are also the suffixes of their names in the store.
const (
	KindBtrfs = ".subvol"  // directory holding a read-only btrfs snapshot "rootfs"
	KindZstd  = ".tar.zst" // compressed tar of the tree
	KindGzip  = ".tar.gz"
)

var snapshotKinds = []string{KindBtrfs, KindZstd, KindGzip}

// SnapshotInfo describes one stored snapshot.
type SnapshotInfo struct {
	Name string
	Kind string // one of the Kind constants
	Size int64  // bytes of the archive; 0 for btrfs (shared extents)
	Time time.Time
	Path string
}

// SnapshotDir is where machine's snapshots are kept.
func SnapshotDir(machine string) string { return filepath.Join(SnapshotsDir, machine) }

// ListSnapshots returns machine's snapshots, oldest first. It needs no
// privileges, and no snapshots (even no directory) is not an error.
func ListSnapshots(machine string) ([]SnapshotInfo, error) {
	entries, err := os.ReadDir(SnapshotDir(machine))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", SnapshotDir(machine), err)
	}
	var out []SnapshotInfo
	for _, e := range entries {
		name, kind, ok := splitSnapshotFile(e.Name())
		if !ok {
			continue // in progress (hidden) or foreign
		}
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		s := SnapshotInfo{Name: name, Kind: kind, Time: fi.ModTime(), Path: filepath.Join(SnapshotDir(machine), e.Name())}
		if kind != KindBtrfs {
			s.Size = fi.Size()
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// splitSnapshotFile parses a store entry name "SNAP.KIND".
func splitSnapshotFile(file string) (name, kind string, ok bool) {
	for _, k := range snapshotKinds {
		if n, found := strings.CutSuffix(file, k); found && nameRE().MatchString(n) {
			return n, k, true
		}
	}
	return "", "", false
}

// findSnapshot returns the stored snapshot ref names, whatever its kind.
func findSnapshot(ref SnapRef) (SnapshotInfo, error) {
	list, err := ListSnapshots(ref.Machine)
	if err != nil {
		return SnapshotInfo{}, err
	}
	for _, s := range list {
		if s.Name == ref.Snapshot {
			return s, nil
		}
	}
	return SnapshotInfo{}, failf(125, "see the snapshots there are: sbx snapshots "+ref.Machine,
		"machine %s has no snapshot %s", ref.Machine, ref.Snapshot)
}

// SnapRef names a snapshot of a machine; on the command line of
// `sbx __root snapshot|restore|snapshot-rm` it is "MACHINE:SNAPSHOT".
type SnapRef struct{ Machine, Snapshot string }

func (r SnapRef) String() string { return r.Machine + ":" + r.Snapshot }

// ParseSnapRef reads and validates a SnapRef argument.
func ParseSnapRef(arg string) (SnapRef, error) {
	m, s, ok := strings.Cut(arg, ":")
	switch {
	case !ok:
		return SnapRef{}, fmt.Errorf("want MACHINE:SNAPSHOT, got %q", arg)
	case !nameRE().MatchString(m):
		return SnapRef{}, fmt.Errorf("invalid machine name %q", m)
	case !ValidSnapshotName(s):
		return SnapRef{}, fmt.Errorf("invalid snapshot name %q: use a-z, 0-9 and '-'", s)
	}
	return SnapRef{Machine: m, Snapshot: s}, nil
}

// ValidSnapshotName tells whether s can name a snapshot: the rules of
// machine names, so it is safe in file names and never hidden.
func ValidSnapshotName(s string) bool { return nameRE().MatchString(s) }

// stoppedSbxMachine checks that name is an sbx machine that is not running:
// a tree copied or replaced under a running machine would be inconsistent.
func stoppedSbxMachine(name string) error {
	if _, err := nspawn.ReadMeta(name); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return failf(125, "see the machines there are: sbx list", "no sbx machine named %s", name)
		}
		return failf(125, "manage it with machinectl", "%s is not an sbx machine: %v", name, err)
	}
	if _, err := os.Stat("/run/systemd/machines/" + name); err == nil {
		return failf(125, "stop it first: sbx stop "+name, "machine %s is running", name)
	}
	if _, err := os.Stat(ImageDir(name)); err != nil {
		return fmt.Errorf("machine %s has no root filesystem: %w", name, err)
	}
	return nil
}

// ensureSnapshotDir creates the store for machine, listable by users.
func ensureSnapshotDir(machine string) (string, error) {
	for _, d := range []string{filepath.Dir(SnapshotsDir), SnapshotsDir, SnapshotDir(machine)} {
		if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	dir := SnapshotDir(machine)
	return dir, os.Chmod(dir, 0o755)
}

// lockMachine takes the machine's lock, telling the user when it waits.
func lockMachine(name string, r *Reporter) (release func(), err error) {
	return lock(name, func() { r.Phase("Waiting for another operation on " + name + " to finish") })
}

// Snapshot saves machine ref.Machine's tree as snapshot ref.Snapshot: a
// read-only btrfs snapshot when the machine is a btrfs subvolume on the
// same filesystem as the store, otherwise a compressed tar. The snapshot
// appears under its name only once complete.
func Snapshot(ctx context.Context, ref SnapRef, r *Reporter) error {
	release, err := lockBusy(ref.Machine, "snapshot", r)
	if err != nil {
		return err
	}
	defer release()
	return snapshotLocked(ctx, ref, r)
}

// snapshotLocked is Snapshot with the machine's lock held by the caller.
// The machine's record of applied settings is kept beside the snapshot,
// so a restore brings back the record that goes with the tree.
func snapshotLocked(ctx context.Context, ref SnapRef, r *Reporter) error {
	if err := stoppedSbxMachine(ref.Machine); err != nil {
		return err
	}
	if s, err := findSnapshot(ref); err == nil {
		return failf(125, "choose another name, or remove it first: sbx snapshot rm "+ref.Machine+" "+ref.Snapshot,
			"snapshot %s of %s already exists (%s)", ref.Snapshot, ref.Machine, s.Time.Format(time.DateTime))
	}
	dir, err := ensureSnapshotDir(ref.Machine)
	if err != nil {
		return fmt.Errorf("creating the snapshot store: %w", err)
	}
	partial := filepath.Join(dir, "."+ref.Snapshot+".partial")
	if err := removePartial(partial); err != nil {
		return err
	}
	if meta, err := nspawn.ReadMeta(ref.Machine); err == nil && meta.Applied != "" {
		if err := os.WriteFile(recordPath(ref), []byte(meta.Applied+"\n"), 0o644); err != nil {
			return fmt.Errorf("saving the record of applied settings: %w", err)
		}
	}
	img := ImageDir(ref.Machine)
	if isSubvolume(img) {
		err := btrfsSnapshot(img, partial, filepath.Join(dir, ref.Snapshot+KindBtrfs), r)
		if err == nil {
			r.Send(Event{Info: fmt.Sprintf("snapshot %s of %s saved (btrfs)", ref.Snapshot, ref.Machine)})
			return nil
		}
		r.Send(Event{Info: fmt.Sprintf("a btrfs snapshot did not work (%v); writing a compressed archive instead", err)})
	}
	comp := pickCompressor()
	final := filepath.Join(dir, ref.Snapshot+comp.Suffix)
	size, err := writeArchive(ctx, img, partial, final, comp, r)
	if err != nil {
		return err
	}
	r.Send(Event{Info: fmt.Sprintf("snapshot %s of %s saved (%s, %s)", ref.Snapshot, ref.Machine, comp.Name, SizeString(size))})
	return nil
}

// removePartial removes what an interrupted snapshot left.
func removePartial(partial string) error {
	fi, err := os.Lstat(partial)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.IsDir():
		if err := removeTree(filepath.Join(partial, "rootfs")); err != nil {
			return err
		}
	}
	return os.RemoveAll(partial)
}

// btrfsSnapshot takes a read-only snapshot of img into partial/rootfs and
// renames partial to final.
func btrfsSnapshot(img, partial, final string, r *Reporter) error {
	r.Phase("Taking a btrfs snapshot of " + img)
	if err := os.Mkdir(partial, 0o700); err != nil {
		return err
	}
	if out, err := exec.Command("btrfs", "subvolume", "snapshot", "-r", img, filepath.Join(partial, "rootfs")).CombinedOutput(); err != nil {
		removePartial(partial) // best effort
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return os.Rename(partial, final)
}

// writeArchive packs the tree at img into partial and renames it to final
// once complete and on disk. It returns the archive's size.
func writeArchive(ctx context.Context, img, partial, final string, comp compressor, r *Reporter) (int64, error) {
	if err := needTool(comp.Name); err != nil {
		return 0, err
	}
	total, _ := treeSize(ctx, img) // best effort: progress without a total otherwise
	r.Phase(fmt.Sprintf("Archiving %s (tar, %s)", img, comp.Name))
	f, err := os.OpenFile(partial, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	m := newMeter(r, "archived", total)
	err = pipeline{producer: tarCreate(img), filter: copyFilter(m), consumer: comp.Pack, stdout: f}.run(ctx)
	m.finish()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	var size int64
	if err == nil {
		var fi os.FileInfo
		if fi, err = os.Stat(partial); err == nil {
			size = fi.Size()
			err = os.Rename(partial, final)
		}
	}
	if err != nil {
		os.Remove(partial) // best effort: the next snapshot removes it too
		return 0, fmt.Errorf("writing the snapshot: %w", err)
	}
	return size, nil
}

// RemoveSnapshot deletes a stored snapshot. It works for snapshots of
// machines that no longer exist too.
func RemoveSnapshot(ctx context.Context, ref SnapRef, r *Reporter) error {
	release, err := lockMachine(ref.Machine, r)
	if err != nil {
		return err
	}
	defer release()
	s, err := findSnapshot(ref)
	if err != nil {
		return err
	}
	r.Phase("Removing snapshot " + ref.Snapshot + " of " + ref.Machine)
	if s.Kind == KindBtrfs {
		if err := removeTree(filepath.Join(s.Path, "rootfs")); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(s.Path); err != nil {
		return fmt.Errorf("removing %s: %w", s.Path, err)
	}
	os.Remove(recordPath(ref))          // best effort: snapshots from before records have none
	os.Remove(SnapshotDir(ref.Machine)) // best effort: only succeeds when it is empty
	return nil
}

// recordPath is where a snapshot's record of applied settings is kept
// (a name ListSnapshots skips).
func recordPath(ref SnapRef) string {
	return filepath.Join(SnapshotDir(ref.Machine), ref.Snapshot+".record")
}
