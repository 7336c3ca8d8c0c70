//go:build linux

package builder

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// btrfsDir mounts a fresh btrfs filesystem (a loop device over a sparse
// file) and returns its mount point; it needs root and btrfs-progs.
func btrfsDir(t *testing.T) string {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("mkfs.btrfs"); err != nil {
		t.Fatal("mkfs.btrfs is missing: apt-get install btrfs-progs (tests/run.sh installs it)")
	}
	base := t.TempDir()
	img, mnt := filepath.Join(base, "fs.img"), filepath.Join(base, "mnt")
	f, err := os.Create(img)
	if err == nil {
		err = f.Truncate(512 << 20)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mkfs.btrfs", "-q", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.btrfs: %v\n%s", err, out)
	}
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mounting a btrfs loop image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })
	return mnt
}

// TestBtrfsSnapshotAndRestore takes the btrfs path of snapshot and restore
// on a real btrfs filesystem: a read-only snapshot in a 0700 directory, a
// writable copy of it swapped in, and both removed as subvolumes.
func TestBtrfsSnapshotAndRestore(t *testing.T) {
	mnt := btrfsDir(t)
	img := filepath.Join(mnt, "web")
	if err := newTreeDir(img); err != nil {
		t.Fatal(err)
	}
	if !isSubvolume(img) {
		t.Fatal("newTreeDir on btrfs did not make a subvolume")
	}
	makeTree(t, img)
	want := digest(t, img)
	var events bytes.Buffer
	r := NewReporter(&events)

	partial, final := filepath.Join(mnt, ".clean.partial"), filepath.Join(mnt, "clean"+KindBtrfs)
	if err := btrfsSnapshot(img, partial, final, r); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(final)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("snapshot directory: %v, mode %v (want 0700)", err, fi.Mode())
	}
	if err := os.WriteFile(filepath.Join(final, "rootfs", "etc", "x"), nil, 0o644); err == nil {
		t.Error("the snapshot is writable")
	}

	// Change the machine, then restore into a build directory and swap.
	if err := os.WriteFile(filepath.Join(img, "etc", "changed"), []byte("y"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := filepath.Join(mnt, ".sbx-build-web")
	if err := unpackSnapshot(context.Background(), SnapshotInfo{Name: "clean", Kind: KindBtrfs, Path: final}, build, r); err != nil {
		t.Fatalf("unpackSnapshot: %v\n%s", err, events.String())
	}
	if err := swapTrees(build, img); err != nil {
		t.Fatal(err)
	}
	if got := digest(t, img); got != want {
		t.Errorf("restored tree differs:\n--- got\n%s\n--- want\n%s", got, want)
	}
	if !isSubvolume(img) {
		t.Error("the restored machine is not a subvolume")
	}
	if err := os.WriteFile(filepath.Join(img, "etc", "after"), nil, 0o644); err != nil {
		t.Errorf("the restored machine is read-only: %v", err)
	}
	for _, dir := range []string{build, filepath.Join(final, "rootfs")} {
		if err := removeTree(dir); err != nil {
			t.Errorf("removeTree(%s): %v", dir, err)
		}
	}
	out, _ := exec.Command("btrfs", "subvolume", "list", mnt).CombinedOutput()
	if bytes.Contains(out, []byte("sbx-build")) || bytes.Contains(out, []byte("clean")) {
		t.Errorf("subvolumes left:\n%s", out)
	}
}
