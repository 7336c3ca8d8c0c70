package builder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

// Restore replaces machine ref.Machine's tree with snapshot ref.Snapshot.
// The snapshot is unpacked into the hidden build directory next to the
// machine and swapped in with one atomic rename only when complete, so an
// interruption (or a full disk) leaves the old tree as it was and no half
// tree behind.
func Restore(ctx context.Context, ref SnapRef, r *Reporter) error {
	release, err := lockStopped(ref.Machine, "restore", r)
	if err != nil {
		return err
	}
	defer release()
	s, err := findSnapshot(ref)
	if err != nil {
		return err
	}
	build := buildDir(ref.Machine)
	if err := removeTree(build); err != nil {
		return fmt.Errorf("removing a stale build: %w", err)
	}
	if err := unpackSnapshot(ctx, s, build, r); err != nil {
		removeTree(build) // best effort: the next create, restore or rm removes it too
		return err
	}
	if ctx.Err() != nil {
		removeTree(build) // best effort
		return ctx.Err()
	}
	r.Phase("Swapping the restored tree in")
	if err := swapTrees(build, ImageDir(ref.Machine)); err != nil {
		removeTree(build) // best effort
		return err
	}
	if err := restoreRecord(ref); err != nil {
		return err
	}
	// build now holds the old tree.
	if err := removeTree(build); err != nil {
		r.Send(Event{Info: fmt.Sprintf("the old tree is left in %s (%v); remove it with sudo rm -rf", build, err)})
	}
	r.Send(Event{Info: fmt.Sprintf("machine %s restored from snapshot %s", ref.Machine, ref.Snapshot)})
	return nil
}

// unpackSnapshot makes build a copy of the snapshot's tree.
func unpackSnapshot(ctx context.Context, s SnapshotInfo, build string, r *Reporter) error {
	if s.Kind == KindBtrfs {
		r.Phase("Copying btrfs snapshot " + s.Name)
		out, err := exec.CommandContext(ctx, "btrfs", "subvolume", "snapshot", filepath.Join(s.Path, "rootfs"), build).CombinedOutput()
		if err != nil {
			return fmt.Errorf("btrfs snapshot of %s: %v: %s", s.Path, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	comp := gzipTool
	if s.Kind == KindZstd {
		comp = zstdTool
	}
	if err := needTool(comp.Name); err != nil {
		return err
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := newTreeDir(build); err != nil {
		return err
	}
	r.Phase(fmt.Sprintf("Unpacking snapshot %s (%s)", s.Name, SizeString(s.Size)))
	m := newMeter(r, "unpacked", s.Size)
	err = pipeline{
		stdin: m.reader(f), producer: comp.Unpack,
		filter: plainCopy, consumer: tarExtract(build),
	}.run(ctx)
	m.finish()
	if err != nil {
		return fmt.Errorf("unpacking snapshot %s: %w", s.Name, err)
	}
	return nil
}

// swapTrees exchanges two directories atomically (renameat2 EXCHANGE).
// Filesystems without it get two renames, with the old tree put back if
// the second fails.
func swapTrees(a, b string) error {
	err := exchange(a, b)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("swapping %s and %s: %w", a, b, err)
	}
	aside := filepath.Join(filepath.Dir(b), ".sbx-old-"+filepath.Base(b))
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(aside, b) // best effort: put the old tree back
		return err
	}
	return os.Rename(aside, a)
}

// treeSize is the size in bytes of the tree at dir (du, one filesystem).
func treeSize(ctx context.Context, dir string) (int64, error) {
	out, err := exec.CommandContext(ctx, "du", "-sxb", dir).Output()
	if err != nil {
		return 0, fmt.Errorf("measuring %s: %w", dir, err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return 0, fmt.Errorf("measuring %s: no output from du", dir)
	}
	return strconv.ParseInt(f[0], 10, 64)
}

// restoreRecord puts the record saved with the snapshot back in the
// machine's settings, so the next use compares .sandbox with what the
// restored tree really has. A snapshot from before records has none: the
// machine then has no record, and the next use takes .sandbox as applied.
func restoreRecord(ref SnapRef) error {
	meta, err := nspawn.ReadMeta(ref.Machine)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(recordPath(ref))
	var rec contract.Record
	if err == nil {
		rec, err = contract.ParseRecord(strings.TrimSpace(string(data)))
	}
	if err != nil {
		return dropRecord(ref.Machine)
	}
	meta.Applied = rec.Encode()
	meta.Distribution, meta.Release, meta.Private = rec.Base.Distribution, rec.Base.Release, rec.Private
	return nspawn.Write(ref.Machine, nspawn.Settings{Meta: meta, Hostname: rec.Hostname, Private: rec.Private,
		Binds: append(layout.StandardBinds(ref.Machine, meta.Project), rec.Binds...)})
}

// dropRecord removes the record line from machine name's settings.
func dropRecord(name string) error {
	data, err := os.ReadFile(nspawn.Path(name))
	if err != nil {
		return err
	}
	var keep []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if !strings.HasPrefix(l, "# sbx-applied=") {
			keep = append(keep, l)
		}
	}
	tmp := nspawn.Path(name) + ".tmp"
	if err := os.WriteFile(tmp, []byte(strings.Join(keep, "")), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, nspawn.Path(name))
}
