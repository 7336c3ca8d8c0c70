package agent

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// loginSession is a session the agent holds open for a user.
type loginSession struct {
	id     string   // logind's name of it (XDG_SESSION_ID)
	cgroup *os.File // its scope's cgroup, what commands are forked into
	env    []string // the variables pam_systemd set for it
}

func (ls *loginSession) close() {
	ls.cgroup.Close() // best effort
}

// sessionVars are the variables pam_systemd sets for a session, the ones
// a joined command gets from the holder.
var sessionVars = []string{
	"XDG_SESSION_ID", "XDG_SESSION_CLASS", "XDG_SESSION_TYPE", "XDG_SESSION_DESKTOP",
	"XDG_SEAT", "XDG_VTNR", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
}

// holderUnits runs the units that hold the sessions open.
type holderUnits interface {
	// MainPID is the unit's main process; 0 when it does not run.
	MainPID(ctx context.Context, unit string) (int, error)
	// Start runs the holder of u's session as unit through the PAM
	// service pam, returning once the holder was executed (its session
	// is open then).
	Start(ctx context.Context, unit string, u guestUser, pam string) error
	// Stop stops unit and waits until it is gone.
	Stop(ctx context.Context, unit string) error
}

// holderUnit names the unit holding uid's session.
func holderUnit(uid int) string { return "sbx-session-" + strconv.Itoa(uid) + ".service" }

// openSession finds u's holder and its session, or starts a new holder
// when there is none or its session is closing.
func (us *userSessions) openSession(ctx context.Context, u guestUser) (*loginSession, error) {
	units := us.Units
	if units == nil {
		units = systemdUnits{}
	}
	unit := holderUnit(u.UID)
	pid, err := units.MainPID(ctx, unit)
	if err != nil {
		return nil, err
	}
	if pid > 0 {
		ls, err := us.Files.sessionOf(pid)
		if err != nil {
			return nil, err
		}
		if us.Files.alive(ls.id) {
			return us.complete(ls, u), nil
		}
		ls.close()
		if err := units.Stop(ctx, unit); err != nil {
			return nil, err
		}
	}
	pam := us.Files.pamService()
	if err := units.Start(ctx, unit, u, pam); err != nil {
		// A holder that is still stopping keeps the name: once more after it.
		if units.Stop(ctx, unit) != nil || units.Start(ctx, unit, u, pam) != nil {
			return nil, err
		}
	}
	if pid, err = units.MainPID(ctx, unit); err != nil {
		return nil, err
	}
	if pid == 0 {
		return nil, fmt.Errorf("%s ended at once; `journalctl -u %s` in the machine says why", unit, unit)
	}
	ls, err := us.Files.sessionOf(pid)
	if err != nil {
		return nil, err
	}
	if !us.Files.alive(ls.id) {
		ls.close()
		return nil, fmt.Errorf("session %s closed as soon as it opened; `journalctl -u %s` in the machine says why", ls.id, unit)
	}
	return us.complete(ls, u), nil
}

// complete adds the manager's runtime directory and bus where pam_systemd
// did not set them (a bus that came up after the session).
func (us *userSessions) complete(ls *loginSession, u guestUser) *loginSession {
	for _, kv := range us.lingerEnv(u) {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := envValue(ls.env, k); !ok {
			ls.env = append(ls.env, kv)
		}
	}
	return ls
}

// sessionFiles are where the sessions are read from; empty fields mean
// the real paths.
type sessionFiles struct {
	Proc     string // /proc
	Cgroup   string // /sys/fs/cgroup
	Sessions string // /run/systemd/sessions, logind's state of each session
	PAM      string // /etc/pam.d
}

// alive reports whether session id is open: logind keeps its state file
// until the session is gone and says "closing" from when it is ended.
func (f sessionFiles) alive(id string) bool {
	b, err := os.ReadFile(filepath.Join(orDefault(f.Sessions, "/run/systemd/sessions"), id))
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "STATE="); ok {
			return strings.TrimSpace(v) != "closing"
		}
	}
	return false
}

// sessionOf reads the session process pid is in: the session its cgroup
// (session-ID.scope) names, that cgroup and the session's variables in
// its environment.
func (f sessionFiles) sessionOf(pid int) (*loginSession, error) {
	proc := filepath.Join(orDefault(f.Proc, "/proc"), strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(proc, "cgroup"))
	if err != nil {
		return nil, fmt.Errorf("reading the session holder's cgroup: %w", err)
	}
	cg := ""
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "0::"); ok {
			cg = rest
		}
	}
	id, ok := scopeSession(path.Base(cg))
	if !ok {
		return nil, fmt.Errorf("the session holder (pid %d) is in no session (cgroup %q): is pam_systemd in its PAM service?", pid, cg)
	}
	env, err := os.ReadFile(filepath.Join(proc, "environ"))
	if err != nil {
		return nil, fmt.Errorf("reading the session holder's environment: %w", err)
	}
	dir := filepath.Join(f.unifiedRoot(), cg)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening session %s's cgroup: %w", id, err)
	}
	return &loginSession{id: id, cgroup: os.NewFile(uintptr(fd), dir), env: holderEnv(env, id)}, nil
}

// unifiedRoot is where the cgroup2 hierarchy is mounted, the one the
// "0::" line of /proc/PID/cgroup names and systemd tracks processes in:
// /sys/fs/cgroup, or /sys/fs/cgroup/unified on a host with the hybrid
// layout (cgroup v1 controllers), where nspawn gives the machines the same.
func (f sessionFiles) unifiedRoot() string {
	root := orDefault(f.Cgroup, "/sys/fs/cgroup")
	if !exists(filepath.Join(root, "cgroup.controllers")) && exists(filepath.Join(root, "unified", "cgroup.controllers")) {
		return filepath.Join(root, "unified")
	}
	return root
}

// scopeSession is the session a logind scope unit is named for.
func scopeSession(unit string) (string, bool) {
	id, pre := strings.CutPrefix(unit, "session-")
	id, suf := strings.CutSuffix(id, ".scope")
	if !pre || !suf || id == "" {
		return "", false
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return "", false
		}
	}
	return id, true
}

// holderEnv keeps the session's variables of a NUL-separated environment;
// XDG_SESSION_ID is the session the cgroup names.
func holderEnv(environ []byte, id string) []string {
	env := []string{"XDG_SESSION_ID=" + id}
	for _, kv := range bytes.Split(environ, []byte{0}) {
		k, _, _ := strings.Cut(string(kv), "=")
		if k != "XDG_SESSION_ID" && slices.Contains(sessionVars, k) {
			env = append(env, string(kv))
		}
	}
	return env
}

// pamService is the PAM service sessions are opened with: sbx's own, or
// login's in a machine made before sbx wrote it.
func (f sessionFiles) pamService() string {
	if exists(filepath.Join(orDefault(f.PAM, "/etc/pam.d"), SessionPAMService)) {
		return SessionPAMService
	}
	return "login"
}

// systemdUnits runs the holders with the machine's systemctl and
// systemd-run (only when a session opens: once per machine start).
type systemdUnits struct{}

func (systemdUnits) MainPID(ctx context.Context, unit string) (int, error) {
	out, err := exec.CommandContext(ctx, "systemctl", "show", "--property=MainPID", "--value", unit).Output()
	if err != nil {
		return 0, fmt.Errorf("asking systemd for %s: %w", unit, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		return 0, fmt.Errorf("asking systemd for %s: main pid %q", unit, out)
	}
	return pid, nil
}

func (systemdUnits) Start(ctx context.Context, unit string, u guestUser, pam string) error {
	return runQuiet(ctx, "systemd-run", "--quiet", "--no-ask-password", "--unit="+unit,
		"--description=sbx: the login session of "+u.Name+" that sbx run and sbx shell join",
		"--service-type=exec", "--uid="+u.Name,
		"--property=PAMName="+pam, "--property=CollectMode=inactive-or-failed",
		// What pam_systemd gives an ssh command without a terminal, said
		// outright: systemd 256 and later would make it "background".
		"--setenv=XDG_SESSION_CLASS=user", "--setenv=XDG_SESSION_TYPE=tty",
		"/bin/sleep", "infinity")
}

func (u systemdUnits) Stop(ctx context.Context, unit string) error {
	err := runQuiet(ctx, "systemctl", "stop", "--no-ask-password", unit)
	if err != nil {
		if pid, perr := u.MainPID(ctx, unit); perr == nil && pid == 0 {
			return nil // it ended (and was unloaded) meanwhile
		}
	}
	return err
}

// runQuiet runs a command and returns its output with the error.
func runQuiet(ctx context.Context, argv ...string) error {
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(argv[:2], " "), err, bytes.TrimSpace(out))
	}
	return nil
}
