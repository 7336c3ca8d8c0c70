package agent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The user's session in the machine. Every command of the owner runs in a
// logind session of the owner, as an ssh command's would: loginctl,
// sd_pid_get_session(3), polkit and systemd-inhibit see it. A session per
// command would cost a unit, a PAM stack and a round trip to logind on
// every `sbx run` (tens of milliseconds); instead the agent holds one
// session per user open while the machine runs and joins every command to
// it:
//
//   - Opening (the first command after the machine started, or after the
//     session was closed, e.g. by `loginctl terminate-session`): the
//     transient unit sbx-session-UID.service runs `sleep infinity` as the
//     user with PAMName=sbx (SessionPAMFile, written by the builder; the
//     `login` service in machines made before it), so pam_systemd registers
//     a session, class user and type tty as an ssh command's without a
//     terminal (set, so systemd 252 and 257 agree), and logind moves the
//     holder into session-ID.scope. The owner also lingers, so
//     user@UID.service and the user's services outlive a closed session.
//   - Joining (every command): the command is forked straight into the
//     scope's cgroup (clone3 CLONE_INTO_CGROUP, no extra step; in the
//     cgroup2 hierarchy, where systemd tracks processes also on a host
//     with the hybrid layout) with the variables pam_systemd gave the
//     holder: XDG_SESSION_ID, XDG_SESSION_CLASS, XDG_SESSION_TYPE,
//     XDG_RUNTIME_DIR, DBUS_SESSION_BUS_ADDRESS. The warm cost is one read
//     of logind's state file of the session (what sd_session_get_state
//     reads) and a dup of the cgroup's descriptor.
//
// PTY and pipe commands join the same session (a session's terminal is
// the holder's: none). Root's commands (`sbx run --root`) join none: they
// are the machine's administration, run as a system service's, and the
// owner ending the session must not kill an apt-get of root. Where no
// session can be opened (no logind or pam_systemd, no clone3), commands get
// the lingering manager's XDG_RUNTIME_DIR and bus only, and the agent
// tries again after sessionRetry.

// runtimeBase is where logind makes the users' runtime directories.
const runtimeBase = "/run/user"

// sessionWait bounds how long a command waits for the session to open, or
// without one for the user's manager to come up (first command after the
// machine started).
const sessionWait = 15 * time.Second

// sessionRetry is how long commands run without a session after opening
// one failed, before the next try.
const sessionRetry = 30 * time.Second

// userSessions opens the owner's session and says how a command joins it.
// The zero value uses the real system; tests set the fields.
type userSessions struct {
	// LingerDir is logind's linger directory (default /var/lib/systemd/linger).
	LingerDir string
	// RuntimeBase holds the users' runtime directories (default /run/user).
	RuntimeBase string
	// Enable asks logind to keep the user's manager (default: loginctl enable-linger).
	Enable func(ctx context.Context, name string) error
	// Up reports whether the user's manager finished starting (default:
	// user@UID.service is active); only waited for without a session.
	Up func(ctx context.Context, uid int) bool
	// Units runs the session holders (default: systemctl and systemd-run).
	Units holderUnits
	// Files are where the kernel, logind and PAM keep what the sessions
	// are read from (default: the real paths).
	Files sessionFiles
	// Now is the clock (default time.Now).
	Now func() time.Time

	mu    sync.Mutex
	users map[int]*userState
}

// userState is what the agent knows of one user's session.
type userState struct {
	lingered bool          // linger was checked once
	open     *loginSession // the session commands join; nil: none yet
	failedAt time.Time     // when opening one last failed
}

// joined is how one command joins its user's session: its variables and,
// when it is in one, a descriptor of the session's cgroup that the command
// owns (close it once the command was forked).
type joined struct {
	env      []string
	cgroupFD int // -1: no session to fork into
	id       string
	uid      int
	us       *userSessions
}

// join returns what puts a command of u into u's session, opening the
// session when there is none (or it was closed). Only the commands that
// open it wait; the warm path is a mutex, a small read and a dup.
func (us *userSessions) join(u guestUser, logf func(string, ...any)) joined {
	none := joined{cgroupFD: -1}
	if u.UID == 0 {
		return none
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	if us.users == nil {
		us.users = map[int]*userState{}
	}
	st := us.users[u.UID]
	if st == nil {
		st = &userState{}
		us.users[u.UID] = st
	}
	if st.open != nil && !us.Files.alive(st.open.id) {
		logf("session %s of %s was closed: opening a new one", st.open.id, u.Name)
		st.open.close()
		st.open = nil
	}
	if st.open == nil && (st.failedAt.IsZero() || us.now().Sub(st.failedAt) >= sessionRetry) {
		us.open(u, st, logf)
	}
	if st.open == nil {
		none.env = us.lingerEnv(u)
		return none
	}
	fd, err := unix.FcntlInt(st.open.cgroup.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		fd = -1
	}
	return joined{env: st.open.env, cgroupFD: fd, id: st.open.id, uid: u.UID, us: us}
}

// open opens u's session (bounded by sessionWait) and records it, or the
// failure; the first time it also makes u linger.
func (us *userSessions) open(u guestUser, st *userState, logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), sessionWait)
	defer cancel()
	first := !st.lingered
	if first {
		st.lingered = true
		us.linger(ctx, u)
	}
	ls, err := us.openSession(ctx, u)
	if err != nil {
		logf("commands of %s run without a login session for %s: %v", u.Name, sessionRetry, err)
		st.failedAt = us.now()
		if first {
			us.waitManager(ctx, u)
		}
		return
	}
	st.open, st.failedAt = ls, time.Time{}
}

// dropped is told that a command could not be forked into session id: the
// next commands run without it until sessionRetry has passed.
func (us *userSessions) dropped(uid int, id string) {
	us.mu.Lock()
	defer us.mu.Unlock()
	if st := us.users[uid]; st != nil && st.open != nil && st.open.id == id {
		st.open.close()
		st.open, st.failedAt = nil, us.now()
	}
}

func (us *userSessions) now() time.Time {
	if us.Now != nil {
		return us.Now()
	}
	return time.Now()
}

// forkExec starts the command forked straight into the session's cgroup.
// If that fails it tries once more outside the session: an exec error
// fails again and is the one reported; a command that then starts means
// the cgroup was refused (the session just went away, or a kernel without
// clone3), and the session is dropped for a while.
func (j joined) forkExec(exe string, argv []string, attr *syscall.ProcAttr, logf func(string, ...any)) (int, error) {
	if j.cgroupFD < 0 {
		return syscall.ForkExec(exe, argv, attr)
	}
	attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, j.cgroupFD
	pid, err := syscall.ForkExec(exe, argv, attr)
	if err == nil {
		return pid, nil
	}
	attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = false, 0
	pid, again := syscall.ForkExec(exe, argv, attr)
	if again == nil {
		logf("starting a command in session %s: %v; running it outside", j.id, err)
		j.us.dropped(j.uid, j.id)
	}
	return pid, again
}

// close releases the command's copy of the cgroup descriptor.
func (j joined) close() {
	if j.cgroupFD >= 0 {
		unix.Close(j.cgroupFD) // best effort
	}
}

// linger makes logind keep u's manager (user@UID.service) and runtime
// directory while the machine runs, sessions or not.
func (us *userSessions) linger(ctx context.Context, u guestUser) {
	linger := filepath.Join(orDefault(us.LingerDir, "/var/lib/systemd/linger"), u.Name)
	if _, err := os.Stat(linger); err == nil {
		return
	}
	enable := us.Enable
	if enable == nil {
		enable = enableLinger
	}
	enable(ctx, u.Name) // best effort: without logind there is no session either
}

// waitManager waits (bounded by ctx) for u's manager to finish starting:
// without a session nothing else waits for it.
func (us *userSessions) waitManager(ctx context.Context, u guestUser) {
	up := us.Up
	if up == nil {
		up = managerUp
	}
	for ctx.Err() == nil && !up(ctx, u.UID) {
		time.Sleep(20 * time.Millisecond)
	}
}

// lingerEnv is what joins a command to u's manager without a session: its
// runtime directory and bus, when they exist.
func (us *userSessions) lingerEnv(u guestUser) []string {
	dir := filepath.Join(orDefault(us.RuntimeBase, runtimeBase), strconv.Itoa(u.UID))
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	env := []string{"XDG_RUNTIME_DIR=" + dir}
	if bus := filepath.Join(dir, "bus"); exists(bus) {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS=unix:path="+bus)
	}
	return env
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
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
