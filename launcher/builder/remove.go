package builder

import (
	"context"
	"fmt"
	"os"
	"os/exec"
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
	release, err := lock(name, func() { r.Phase("Waiting for a create of " + name + " to finish") })
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
	r.Phase("Removing " + ImageDir(name))
	if err := removeTree(ImageDir(name)); err != nil {
		return err
	}
	if err := removeTree(buildDir(name)); err != nil {
		return err
	}
	if err := removeTree(HostRuntimeDir(name)); err != nil {
		return err
	}
	if err := os.Remove(nspawn.Path(name)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return removeDropIns(ctx, name)
}

// DiskUsage reports the size of the machine's tree in bytes.
func DiskUsage(ctx context.Context, name string, r *Reporter) error {
	if !nameRE().MatchString(name) {
		return fmt.Errorf("invalid machine name %q", name)
	}
	out, err := exec.CommandContext(ctx, "du", "-sxb", ImageDir(name)).Output()
	if err != nil {
		return fmt.Errorf("measuring %s: %w", ImageDir(name), err)
	}
	r.Send(Event{Info: strings.Fields(string(out))[0]})
	return nil
}
