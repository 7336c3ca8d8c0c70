package builder

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// Locks and busy markers live under StateRunDir, made by root with the
// owner and mode checked: /run/lock is writable by everyone, and a lock
// directory another user made first could point root's files anywhere or
// break the mutual exclusion.
const (
	StateRunDir = "/run/sbx"            // root:root 0755
	BusyDir     = StateRunDir + "/busy" // root:root 0755, BUSY/NAME while an operation owns NAME's tree
)

// ensureRootDir makes dir (its parent must exist) owned by root with
// exactly mode, or checks that what is there is such a directory.
func ensureRootDir(dir string, mode os.FileMode) error {
	if err := os.Mkdir(dir, mode); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("checking the owner of %s: no stat data", dir)
	}
	switch {
	case !fi.IsDir():
		return failf(125, "remove it (sudo rm "+dir+") and try again", "%s is not a directory (%s); sbx did not make it", dir, fi.Mode().Type())
	case st.Uid != 0:
		return failf(125, "remove it (sudo rm -rf "+dir+") and try again", "%s is owned by uid %d, not root; sbx did not make it", dir, st.Uid)
	case fi.Mode().Perm()&0o022 != 0:
		return failf(125, "remove it (sudo rm -rf "+dir+") and try again", "%s is writable by others (mode %o); sbx did not make it", dir, fi.Mode().Perm())
	}
	return os.Chmod(dir, mode) // 0700 for the locks even if made 0755
}

// lock takes an exclusive flock on LockDir/name.lock, waiting for another
// holder (a second create of the same project) to finish. The kernel drops
// it when the process dies, so a crash never leaves a stale lock.
func lock(name string, waiting func()) (release func(), err error) {
	for _, d := range []struct {
		dir  string
		mode os.FileMode
	}{{StateRunDir, 0o755}, {LockDir, 0o700}} {
		if err := ensureRootDir(d.dir, d.mode); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(filepath.Join(LockDir, name+".lock"), os.O_CREATE|os.O_RDWR|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock of %s: %w", name, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == unix.EWOULDBLOCK {
		waiting()
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", name, err)
	}
	return func() { f.Close() }, nil
}

// busyDropIn keeps systemd from starting a machine whose tree an operation
// owns, whoever asks (sbx, the hook, machinectl start, machines.target).
const (
	busyDropInPath = "/etc/systemd/system/systemd-nspawn@.service.d/sbx-busy.conf"
	busyDropIn     = `# Written by sbx: a machine that sbx is restoring, removing, exporting or
# snapshotting does not start while it does (its tree is replaced or read).
[Unit]
ConditionPathExists=!` + BusyDir + `/%i
`
)

// lockBusy takes machine name's lock and marks it busy with op, so that it
// cannot start until release. It then checks that the machine is not
// running (or starting): the check comes after the mark, so no start
// slips in between.
func lockBusy(name, op string, r *Reporter) (release func(), err error) {
	unlock, err := lockMachine(name, r)
	if err != nil {
		return nil, err
	}
	if err := ensureBusyDropIn(); err != nil {
		unlock()
		return nil, err
	}
	if err := ensureRootDir(BusyDir, 0o755); err != nil {
		unlock()
		return nil, err
	}
	marker := filepath.Join(BusyDir, name)
	// Holding the lock, any marker there is a crashed operation's.
	content := fmt.Sprintf("%s %d\n", op, os.Getpid())
	if err := os.WriteFile(marker, []byte(content), 0o644); err != nil {
		unlock()
		return nil, fmt.Errorf("marking %s busy: %w", name, err)
	}
	release = func() {
		os.Remove(marker) // best effort: the next operation rewrites it
		unlock()
	}
	if active := unitActive("systemd-nspawn@" + name + ".service"); active {
		release()
		return nil, failf(125, "stop it first: sbx stop "+name, "machine %s is running", name)
	}
	return release, nil
}

// lockStopped is lockBusy for an operation on the tree of a stopped sbx
// machine (export, restore): it then checks that name is one
// (stoppedSbxMachine). release is nil when err is not.
func lockStopped(name, op string, r *Reporter) (release func(), err error) {
	if release, err = lockBusy(name, op, r); err != nil {
		return nil, err
	}
	if err := stoppedSbxMachine(name); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// ensureBusyDropIn installs busyDropIn once, reloading systemd so that it
// applies at once.
func ensureBusyDropIn() error {
	if data, err := os.ReadFile(busyDropInPath); err == nil && string(data) == busyDropIn {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(busyDropInPath), 0o755); err != nil {
		return err
	}
	tmp := busyDropInPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(busyDropIn), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, busyDropInPath); err != nil {
		return err
	}
	if out, err := runOutput("systemctl", "daemon-reload"); err != nil {
		return fmt.Errorf("reloading systemd for %s: %v: %s", busyDropInPath, err, out)
	}
	return nil
}

// unitActive tells whether a unit is active or on its way (activating,
// reloading, deactivating): anything but stopped.
func unitActive(unit string) bool {
	out, _ := runOutput("systemctl", "is-active", unit) // exits non-zero when inactive
	switch strings.TrimSpace(out) {
	case "inactive", "failed", "unknown", "":
		return false
	}
	return true
}

// Busy describes the operation that owns machine name's tree now, for
// `sbx start` to wait on: "" when none. A marker whose process is gone
// (a killed operation) is reported as stale.
func Busy(name string) (op string, stale bool) {
	data, err := os.ReadFile(filepath.Join(BusyDir, name))
	if err != nil {
		return "", false
	}
	op, pid, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	if n, err := strconv.Atoi(pid); err == nil {
		if _, err := os.Stat("/proc/" + strconv.Itoa(n)); err != nil {
			return op, true
		}
	}
	return op, false
}

func runOutput(argv ...string) (string, error) {
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// ClearStaleBusy removes machine name's busy marker when the operation
// that wrote it is gone (killed: its release never ran), so that the
// machine can start again without the user deleting it as root. The
// lock tells: a live operation holds it, a killed one's went with it.
func ClearStaleBusy(name string, r *Reporter) error {
	if err := sandboxfile.ValidName(name); err != nil {
		return err
	}
	marker := filepath.Join(BusyDir, name)
	unlock, err := lock(name, func() {})
	if err != nil {
		return err
	}
	defer unlock()
	op, stale := Busy(name)
	if op == "" {
		return nil
	}
	if !stale {
		return failf(125, "wait for it to finish", "machine %s is busy: sbx %s is still running", name, op)
	}
	if err := os.Remove(marker); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clearing the busy mark of %s: %w", name, err)
	}
	r.Send(Event{Info: "cleared the mark of a killed sbx " + op + " on " + name})
	return nil
}
