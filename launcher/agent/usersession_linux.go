package agent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// The user's session in the machine. A logind session per command would
// cost a PAM stack and a D-Bus round trip to logind on every `sbx run`
// (tens of milliseconds); instead the machine's owner lingers: logind keeps
// user@UID.service (started through PAM, pam_systemd, like a login's) and
// /run/user/UID for as long as the machine runs, and every command joins
// that session's environment: XDG_RUNTIME_DIR, the user's D-Bus and
// `systemctl --user`. On the warm path that is one stat per command.

// runtimeBase is where logind makes the users' runtime directories.
const runtimeBase = "/run/user"

// sessionWait bounds how long a command waits for the user's manager to
// come up after the agent asked logind to start it (first command after
// the machine started).
const sessionWait = 5 * time.Second

// userSessions makes sure the owner's session exists and says which
// variables join it.
type userSessions struct {
	// LingerDir is logind's linger directory (default /var/lib/systemd/linger).
	LingerDir string
	// RuntimeBase holds the users' runtime directories (default /run/user).
	RuntimeBase string
	// Enable asks logind to keep the user's session (default: loginctl enable-linger).
	Enable func(ctx context.Context, name string) error
	// Up reports whether the user's manager finished starting (default:
	// user@UID.service is active).
	Up func(ctx context.Context, uid int) bool

	mu   sync.Mutex
	done map[int]bool // uids whose session was waited for once already
}

// env returns the variables that put a command of u into u's session,
// waiting (once per uid, bounded) for the session to come up. Root's
// commands and users without a session get none.
func (us *userSessions) env(u guestUser) []string {
	if u.UID == 0 {
		return nil
	}
	dir := filepath.Join(orDefault(us.RuntimeBase, runtimeBase), strconv.Itoa(u.UID))
	bus := filepath.Join(dir, "bus")
	us.start(u)
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	if _, err := os.Stat(bus); err == nil {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+bus)
	}
	return env
}

// start enables lingering for u when it is not yet on and waits for the
// user's manager to finish starting; only the first command of a uid (after
// the machine started) ever waits, the others take a mutex.
func (us *userSessions) start(u guestUser) {
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.done[u.UID] {
		return
	}
	if us.done == nil {
		us.done = map[int]bool{}
	}
	us.done[u.UID] = true
	ctx, cancel := context.WithTimeout(context.Background(), sessionWait)
	defer cancel()
	linger := filepath.Join(orDefault(us.LingerDir, "/var/lib/systemd/linger"), u.Name)
	if _, err := os.Stat(linger); err != nil {
		enable := us.Enable
		if enable == nil {
			enable = enableLinger
		}
		if enable(ctx, u.Name) != nil {
			return // no logind here: commands run without a session
		}
	}
	up := us.Up
	if up == nil {
		up = managerUp
	}
	for ctx.Err() == nil && !up(ctx, u.UID) {
		time.Sleep(20 * time.Millisecond)
	}
}

func enableLinger(ctx context.Context, name string) error {
	return exec.CommandContext(ctx, "loginctl", "enable-linger", name).Run()
}

// managerUp reports whether user@UID.service is active: the user's
// manager reports ready only once its start-up finished, so `systemctl
// --user is-system-running` then says running (or degraded).
func managerUp(ctx context.Context, uid int) bool {
	return exec.CommandContext(ctx, "systemctl", "is-active", "--quiet", "user@"+strconv.Itoa(uid)+".service").Run() == nil
}
