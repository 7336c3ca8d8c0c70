package builder

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sbxdev/sbx/launcher/nspawn"
)

// Remove deletes machine name: its tree, settings and runtime directory.
// The CLI stops the machine first; a tree with mounts left in it (still
// running) is refused rather than deleted under a live machine.
func Remove(ctx context.Context, name string, r *Reporter) error {
	if !nameRE().MatchString(name) {
		return fmt.Errorf("invalid machine name %q", name)
	}
	release, err := lockBusy(name, "rm", r)
	if err != nil {
		return err
	}
	defer release()
	if _, err := nspawn.ReadMeta(name); err != nil {
		return failf(125, "only machines made by sbx are removed by it; see machinectl remove", "%s is not an sbx machine: %v", name, err)
	}
	if _, err := os.Stat("/run/systemd/machines/" + name); err == nil {
		return failf(125, "stop it first: sbx stop "+name, "machine %s is running", name)
	}
	// Out of sight first: whatever fails below, no half machine is left
	// under its name (machined ignores hidden names; create and rm clear
	// a leftover).
	r.Phase("Removing " + ImageDir(name))
	hidden := removedDir(name)
	if err := removeTree(hidden); err != nil {
		return fmt.Errorf("removing what an earlier rm left in %s: %w", hidden, err)
	}
	if err := os.Rename(ImageDir(name), hidden); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("moving %s out of the way: %w", ImageDir(name), err)
	}
	if err := os.Remove(nspawn.Path(name)); err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, d := range []string{hidden, buildDir(name), HostRuntimeDir(name)} {
		if err := removeTree(d); err != nil {
			return fmt.Errorf("machine %s is removed, but deleting %s failed: %w", name, d, err)
		}
	}
	return removeDropIns(ctx, name)
}

// removedDir is where rm puts a machine's tree before deleting it.
func removedDir(name string) string { return filepath.Join(MachinesDir, ".sbx-rm-"+name) }

// DiskUsage reports the size of the machine's tree in bytes.
func DiskUsage(ctx context.Context, name string, r *Reporter) error {
	if !nameRE().MatchString(name) {
		return fmt.Errorf("invalid machine name %q", name)
	}
	out, err := exec.CommandContext(ctx, "du", "-sxb", ImageDir(name)).Output()
	if err != nil {
		return fmt.Errorf("measuring %s: %w", ImageDir(name), err)
	}
	f := strings.Fields(string(out))
	if len(f) == 0 {
		return fmt.Errorf("measuring %s: no output from du", ImageDir(name))
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return fmt.Errorf("measuring %s: %w", ImageDir(name), err)
	}
	r.Send(Event{Result: &Result{Size: n}})
	return nil
}
