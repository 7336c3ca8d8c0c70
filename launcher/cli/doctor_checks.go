package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/userdb"
)

// Where install.sh puts the polkit rule (JavaScript rules, or the .pkla of
// polkit before 0.106).
var polkitRules = []string{
	"/etc/polkit-1/rules.d/50-sbx.rules",
	"/etc/polkit-1/localauthority/50-local.d/50-sbx.pkla",
}

const installFix = "run sbx's install.sh as root: sudo ./install.sh --user $USER"

// doctor holds what several checks share.
type doctor struct {
	self   string
	pkg    packager     // how fixes name packages here
	bus    *machine.Bus // nil when the system bus could not be reached
	busErr error
}

func (d *doctor) run(ctx context.Context) []checkResult {
	auth := d.polkit(ctx)
	out := []checkResult{d.systemd(), d.dbus(), d.machined(ctx), d.polkitRule(auth.Verdict == pass)}
	out = append(out, d.group()...)
	return append(out, auth, d.bootstrap(), d.keyrings(), d.disk(), d.cgroups(), d.installed())
}

func (d *doctor) systemd() checkResult {
	r := checkResult{Name: "systemd is PID 1"}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		comm, _ := os.ReadFile("/proc/1/comm") // best effort: only for the message
		r.Verdict, r.Detail = fail, fmt.Sprintf("PID 1 is %s", strings.TrimSpace(string(comm)))
		r.Fix = "sbx runs machines through systemd: use a host (or VM) booted with systemd"
	}
	return r
}

func (d *doctor) dbus() checkResult {
	r := checkResult{Name: "system D-Bus reachable"}
	switch {
	case d.bus != nil:
	case d.busErr != nil:
		r.Verdict, r.Detail = fail, d.busErr.Error()
		r.Fix = d.pkg.cmd("dbus") + ", and make sure dbus.service runs"
	default:
		r.Verdict, r.Detail = fail, "not tried: no systemd"
	}
	return r
}

func (d *doctor) machined(ctx context.Context) checkResult {
	r := checkResult{Name: "systemd-machined and systemd-nspawn"}
	fix := d.pkg.cmd("systemd-container")
	if _, err := os.Stat("/usr/bin/systemd-nspawn"); err != nil {
		return checkResult{Verdict: fail, Name: r.Name, Detail: "systemd-nspawn is not installed", Fix: fix}
	}
	if d.bus == nil {
		return checkResult{Verdict: fail, Name: r.Name, Detail: "cannot ask machined without the system bus", Fix: fix}
	}
	if _, err := d.bus.ListRunning(ctx); err != nil {
		return checkResult{Verdict: fail, Name: r.Name, Detail: err.Error(), Fix: fix}
	}
	return r
}

// polkitRule looks for the rule file. /etc/polkit-1/rules.d is readable
// only by root on Debian; then whether polkit authorizes this user (see
// polkit) tells whether the rule is in effect.
func (d *doctor) polkitRule(authorized bool) checkResult {
	const name = "polkit rule for group sbx"
	hidden := false
	for _, p := range polkitRules {
		_, err := os.Stat(p)
		switch {
		case err == nil:
			return checkResult{Name: name, Detail: p}
		case errors.Is(err, fs.ErrPermission):
			hidden = true
		}
	}
	switch {
	case hidden && authorized:
		return checkResult{Name: name, Detail: "in effect (its directory is readable only by root)"}
	case hidden:
		return checkResult{Verdict: fail, Name: name, Detail: "cannot look as a user, and polkit does not authorize you",
			Fix: "join group sbx and log in again (see below); if you are in it: " + installFix}
	}
	return checkResult{Verdict: fail, Name: name, Detail: "missing (" + polkitRules[0] + ")", Fix: installFix}
}

// group checks membership of sbx in the user database and in this
// process: a user added to the group keeps the old groups until logging in
// again.
func (d *doctor) group() []checkResult {
	u, err := userdb.Current()
	if err != nil {
		return []checkResult{{Verdict: fail, Name: "member of group sbx", Detail: err.Error()}}
	}
	if u.UID == 0 {
		return []checkResult{{Name: "member of group sbx", Detail: "not needed as root (but create machines as your own user)"}}
	}
	g, err := userdb.LookupGroup("sbx")
	if err != nil {
		return []checkResult{{Verdict: fail, Name: "member of group sbx", Detail: "there is no group sbx", Fix: installFix}}
	}
	ids, err := userdb.GroupIDs(u)
	if err != nil {
		return []checkResult{{Verdict: fail, Name: "member of group sbx", Detail: fmt.Sprintf("cannot list %s's groups: %v", u.Name, err)}}
	}
	procGroups, _ := os.Getgroups() // best effort: empty means not a member
	return groupVerdict(u.Name, slices.Contains(ids, g.GID), slices.Contains(procGroups, g.GID) || os.Getgid() == g.GID)
}

// groupVerdict turns the two facts into report lines.
func groupVerdict(name string, inDatabase, inSession bool) []checkResult {
	db := checkResult{Name: "member of group sbx", Detail: name}
	session := checkResult{Name: "group sbx active in this session"}
	switch {
	case !inDatabase:
		db.Verdict, db.Detail = fail, name+" is not in group sbx"
		db.Fix = fmt.Sprintf("sudo usermod -aG sbx %s (membership is root-equivalent), then log out and back in", name)
		session.Verdict, session.Detail = fail, "not a member"
		session.Fix = "see above"
	case !inSession:
		session.Verdict, session.Detail = fail, "added to the group after this session started"
		session.Fix = "log out and back in (or, for this shell only: newgrp sbx)"
	}
	return []checkResult{db, session}
}

// polkitInstall names polkit's package: older Debian and Ubuntu releases
// call it policykit-1.
func (d *doctor) polkitInstall() string {
	if d.pkg.install == aptPackager.install {
		return d.pkg.cmd("polkitd") + " (or policykit-1)"
	}
	return d.pkg.cmd("polkitd")
}

func (d *doctor) polkit(ctx context.Context) checkResult {
	r := checkResult{Name: "polkit lets you manage machines"}
	if os.Getuid() == 0 {
		r.Detail = "root"
		return r
	}
	if d.bus == nil {
		return checkResult{Verdict: fail, Name: r.Name, Detail: "cannot ask polkit without the system bus"}
	}
	for _, action := range []string{machine.ActionManageMachine, machine.ActionManageUnits} {
		ok, err := d.bus.Authorized(ctx, action)
		switch {
		case errors.Is(err, machine.ErrNoPolkit):
			return checkResult{Verdict: fail, Name: r.Name, Detail: "polkit is not running", Fix: d.polkitInstall() + ", then " + installFix}
		case err != nil:
			return checkResult{Verdict: fail, Name: r.Name, Detail: err.Error()}
		case !ok:
			return checkResult{Verdict: fail, Name: r.Name, Detail: "not authorized for " + action,
				Fix: "join group sbx and log in again (see above); if you are in it, " + installFix}
		}
	}
	return r
}

// sbinPath finds a tool also in the sbin directories a user's PATH may
// lack (the privileged helper runs with them).
func sbinPath(tool string) string {
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin"} {
		p := filepath.Join(dir, tool)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func (d *doctor) bootstrap() checkResult {
	mm, deb := sbinPath("mmdebstrap"), sbinPath("debootstrap")
	switch {
	case mm != "":
		return checkResult{Name: "mmdebstrap", Detail: mm}
	case deb != "":
		return checkResult{Verdict: advice, Name: "debootstrap", Detail: deb + " (mmdebstrap is missing)",
			Fix: d.pkg.cmd("mmdebstrap") + ": it builds machines several times faster"}
	}
	return checkResult{Verdict: fail, Name: "debootstrap or mmdebstrap", Detail: "neither is installed", Fix: d.pkg.cmd("mmdebstrap", "debootstrap")}
}

func (d *doctor) keyrings() checkResult {
	const dir = "/usr/share/keyrings/"
	if _, err := os.Stat(dir + "debian-archive-keyring.gpg"); err != nil {
		return checkResult{Verdict: fail, Name: "Debian archive keyring", Detail: "missing " + dir + "debian-archive-keyring.gpg",
			Fix: d.pkg.cmd("debian-archive-keyring")}
	}
	if _, err := os.Stat(dir + "ubuntu-archive-keyring.gpg"); err != nil {
		return checkResult{Verdict: advice, Name: "archive keyrings", Detail: "Debian only: Ubuntu machines cannot be verified",
			Fix: "for Distribution=ubuntu: " + d.pkg.cmd("ubuntu-keyring")}
	}
	return checkResult{Name: "archive keyrings", Detail: "Debian and Ubuntu"}
}

// Free space below minFree fails (a machine is 0.3–1 GB plus the base
// cache); below goodFree is advice.
const (
	minFree  = 1 << 30
	goodFree = 5 << 30
)

func (d *doctor) disk() checkResult {
	dir := builder.MachinesDir
	if _, err := os.Stat(dir); err != nil {
		dir = filepath.Dir(dir) // created on the first machine
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return checkResult{Verdict: fail, Name: "disk space in " + builder.MachinesDir, Detail: err.Error()}
	}
	return diskVerdict(st.Bavail * uint64(st.Bsize))
}

func diskVerdict(free uint64) checkResult {
	r := checkResult{Name: "disk space in " + builder.MachinesDir, Detail: builder.SizeString(int64(free)) + " free"}
	fix := "free space on that file system (sbx gc removes machines of deleted projects; sbx rm others)"
	switch {
	case free < minFree:
		r.Verdict, r.Fix = fail, fix
	case free < goodFree:
		r.Verdict, r.Fix = advice, fix
	}
	return r
}

func (d *doctor) cgroups() checkResult {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err != nil {
		return checkResult{Verdict: fail, Name: "cgroups", Detail: "/sys/fs/cgroup: " + err.Error(), Fix: "boot with systemd, which mounts the cgroup file systems"}
	}
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	return cgroupVerdict(int64(st.Type), exists("/sys/fs/cgroup/unified"), exists("/sys/fs/cgroup/systemd"))
}

// cgroupVerdict judges the file system at /sys/fs/cgroup: cgroup v2, or
// systemd's hybrid or legacy layouts, which systemd-nspawn also runs on.
func cgroupVerdict(fsType int64, unified, systemdV1 bool) checkResult {
	r := checkResult{Name: "cgroups"}
	switch {
	case fsType == unix.CGROUP2_SUPER_MAGIC:
		r.Detail = "v2 (unified)"
	case fsType == unix.TMPFS_MAGIC && unified && systemdV1:
		r.Detail = "hybrid (v1 with v2 for systemd)"
	case fsType == unix.TMPFS_MAGIC && systemdV1:
		r.Verdict, r.Detail = advice, "legacy v1"
		r.Fix = "cgroup v2 is better supported: boot with systemd.unified_cgroup_hierarchy=1"
	default:
		r.Verdict, r.Detail = fail, "/sys/fs/cgroup is neither cgroup2 nor systemd's v1 layout"
		r.Fix = "boot with systemd, which mounts the cgroup file systems"
	}
	return r
}

func (d *doctor) installed() checkResult {
	bin := filepath.Join(builder.LibDir, "sbx")
	r := checkResult{Name: "sbx installed", Detail: bin}
	st, err := os.Stat(bin)
	if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return checkResult{Verdict: fail, Name: r.Name, Detail: bin + " is missing (machines run their agent from it)", Fix: installFix}
	}
	if _, err := os.Stat(builder.RuntimeDir); err != nil {
		return checkResult{Verdict: fail, Name: r.Name, Detail: builder.RuntimeDir + " is missing", Fix: installFix}
	}
	if self, err := os.Stat(d.self); err == nil && !os.SameFile(self, st) {
		return checkResult{Verdict: advice, Name: r.Name, Detail: fmt.Sprintf("%s, but this is %s", bin, d.self),
			Fix: "machines run the installed binary: install this one with install.sh --binary " + d.self}
	}
	return r
}
