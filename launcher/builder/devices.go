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
	"syscall"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
)

// DropInDir holds sbx's drop-ins for machine name's unit.
func DropInDir(name string) string {
	return "/etc/systemd/system/systemd-nspawn@" + name + ".service.d"
}

// devicesDropIn allows the machine's device nodes in its unit's device
// policy (systemd-nspawn@.service has DevicePolicy=closed).
const devicesDropIn = "sbx-devices.conf"

// deviceBinds are the .nspawn binds of the machine's device nodes.
func deviceBinds(devs []string) []layout.Bind {
	var binds []layout.Bind
	for _, d := range devs {
		binds = append(binds, layout.Bind{Host: d})
	}
	return binds
}

// devices: Device= and GPU= nodes are checked on the host, allowed in the
// unit's device policy (a drop-in), bound by the .nspawn, and the user is
// made a member inside of the groups that own them (render, video, kvm…,
// by the host's GIDs). The policy and binds take effect at the next start.
func (a *applier) devices(ctx context.Context, ch contract.Changes) error {
	if len(ch.DevicesAdd)+len(ch.DevicesRemove) == 0 {
		return nil
	}
	var gids []string
	for _, d := range a.want.Devices {
		gid, err := deviceGID(d)
		if err != nil {
			return failf(125, "remove Device="+d+" from .sandbox (or load its driver), sbx allow, and run again", "%v", err)
		}
		if gid != 0 {
			gids = append(gids, strconv.Itoa(gid))
		}
	}
	if err := writeDevicePolicy(ctx, a.s.Name, a.want.Devices); err != nil {
		return failf(125, "", "allowing the machine's devices: %v", err)
	}
	if len(gids) > 0 {
		script := `u=$1; shift; for gid; do g=$(getent group "$gid" | cut -d: -f1); ` +
			`if [ -z "$g" ]; then g=sbx-dev-$gid; groupadd -g "$gid" "$g" || exit; fi; usermod -aG "$g" "$u" || exit; done`
		if err := a.g.run(ctx, a.r.Log, "", append([]string{"sh", "-c", script, "sh", a.s.User.Name}, gids...)...); err != nil {
			return failf(125, "", "adding %s to the devices' groups in machine %s: %v", a.s.User.Name, a.s.Name, err)
		}
	}
	a.rec.Devices = a.want.Devices
	if a.g.live() {
		var words []string
		for _, d := range ch.DevicesAdd {
			words = append(words, "+"+d)
		}
		for _, d := range ch.DevicesRemove {
			words = append(words, "-"+d)
		}
		a.note("Device= " + strings.Join(words, " "))
	}
	return a.save(a.meta.State)
}

// deviceGID checks that d is a device node on the host and returns its
// group.
func deviceGID(d string) (int, error) {
	st, err := os.Stat(d)
	if err != nil {
		return 0, fmt.Errorf("Device=%s: %w", d, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if st.Mode()&os.ModeDevice == 0 || !ok {
		return 0, fmt.Errorf("Device=%s is not a device node on this host", d)
	}
	return int(sys.Gid), nil
}

// writeDevicePolicy writes (or, without devices, removes) the drop-in and
// has systemd read it.
func writeDevicePolicy(ctx context.Context, name string, devs []string) error {
	dir := DropInDir(name)
	path := filepath.Join(dir, devicesDropIn)
	if len(devs) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		os.Remove(dir) // best effort: only when empty
	} else {
		var b strings.Builder
		b.WriteString("# Managed by sbx: Device= and GPU= of the project's .sandbox.\n[Service]\n")
		for _, d := range devs {
			fmt.Fprintf(&b, "DeviceAllow=%s rwm\n", d)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	if out, err := exec.CommandContext(ctx, "systemctl", "daemon-reload").CombinedOutput(); err != nil {
		return fmt.Errorf("systemctl daemon-reload: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// removeDropIns deletes sbx's drop-ins of machine name (sbx rm).
func removeDropIns(ctx context.Context, name string) error {
	if _, err := os.Stat(filepath.Join(DropInDir(name), devicesDropIn)); err != nil {
		return nil
	}
	return writeDevicePolicy(ctx, name, nil)
}

// homeParents creates, owned by the user, the directories of the user's
// home that added binds go under (~/.config for ~/.config/git): nspawn
// and machined would create them owned by root, and the user could not
// write in them inside.
func (a *applier) homeParents(ctx context.Context, ch contract.Changes) error {
	home := filepath.Clean(a.s.User.Home)
	var dirs []string
	for _, b := range ch.BindsAdd {
		rel, err := filepath.Rel(home, filepath.Dir(b.Target()))
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			continue
		}
		d := home
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			d = filepath.Join(d, part)
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	script := `u=$1; g=$2; shift 2; for d; do [ -d "$d" ] || install -d -o "$u" -g "$g" -m 0755 "$d" || exit; done`
	argv := append([]string{"sh", "-c", script, "sh", strconv.Itoa(a.s.User.UID), strconv.Itoa(a.s.User.GID)}, dirs...)
	if err := a.g.run(ctx, a.r.Log, "", argv...); err != nil {
		return failf(125, "", "creating %s in machine %s: %v", strings.Join(dirs, " "), a.s.Name, err)
	}
	return nil
}
