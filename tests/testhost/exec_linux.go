package testhost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Spec describes a process to run in the host.
type Spec struct {
	// User is "root" or the name of a user in the host. The process gets
	// that user's UID, primary GID and supplementary groups, and a clean
	// login-like environment: HOME, USER, LOGNAME, SHELL, PATH only.
	User string
	// Dir is the working directory; default the user's home.
	Dir string
	// Env adds KEY=VALUE entries to the clean environment.
	Env []string
	// Argv is the command and its arguments.
	Argv []string
	// Stdin is the command's input; nil means empty.
	Stdin io.Reader
}

// Result is what a finished command left.
type Result struct {
	Stdout, Stderr string
	// Code is the exit status; 128+N when killed by signal N (as a shell
	// reports it); -1 when the command could not be run at all (see Err).
	Code int
	// Err is set when the command could not be started or waited for, or
	// ctx ended first. A non-zero exit status alone is not an error.
	Err error
}

// String summarizes the result for test failure messages.
func (r Result) String() string {
	s := fmt.Sprintf("exit %d", r.Code)
	if r.Err != nil {
		s += fmt.Sprintf(" (error: %v)", r.Err)
	}
	return fmt.Sprintf("%s\n--- stdout:\n%s\n--- stderr:\n%s", s, r.Stdout, r.Stderr)
}

// Exec runs argv as user in the host (in the user's home) and waits.
func (h *Host) Exec(ctx context.Context, user string, argv ...string) Result {
	return h.Run(ctx, Spec{User: user, Argv: argv})
}

// Sh runs a /bin/sh script as user in the host (in the user's home).
func (h *Host) Sh(ctx context.Context, user, script string) Result {
	return h.Run(ctx, Spec{User: user, Argv: []string{"/bin/sh", "-c", script}})
}

// Run runs spec in the host and waits for it.
func (h *Host) Run(ctx context.Context, spec Spec) Result {
	var stdout, stderr bytes.Buffer
	cmd := h.CommandSpec(ctx, spec)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Code: exitCode(cmd, err)}
	if r.Code < 0 {
		r.Err = err
	}
	if ctx.Err() != nil {
		r.Err = fmt.Errorf("running %q as %s in the test host: %w", spec.Argv, spec.User, ctx.Err())
	}
	return r
}

// Command returns an unstarted command that runs argv as user in the
// host, for streaming: set Stdin/Stdout/Stderr, then Start and Wait.
func (h *Host) Command(ctx context.Context, user string, argv ...string) *exec.Cmd {
	return h.CommandSpec(ctx, Spec{User: user, Argv: argv})
}

// CommandSpec returns an unstarted command for spec. The process enters
// all of the host's namespaces (nsenter -a), takes the user's identity
// with setpriv, and starts with every signal at its default disposition,
// whatever the test process ignores (env --default-signal). It runs in a
// process group of its own; when ctx ends, that whole group is killed.
// A problem with spec (unknown user) is reported by Start.
func (h *Host) CommandSpec(ctx context.Context, spec Spec) *exec.Cmd {
	argv, err := h.wrapArgv(spec)
	if err != nil {
		cmd := exec.CommandContext(ctx, "false")
		cmd.Err = err
		return cmd
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	// TERM is the only variable setpriv --reset-env keeps; unset, so a
	// command sees no terminal type unless a test sets one in Spec.Env.
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdin = spec.Stdin
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// nsenter forks the real process into the host's PID namespace and
		// does not forward signals: kill the group, which holds both.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// wrapArgv builds nsenter … setpriv … env … ARGV for spec.
func (h *Host) wrapArgv(spec Spec) ([]string, error) {
	if h.leader == 0 || !h.running() {
		return nil, errors.New("the test host is not running")
	}
	if len(spec.Argv) == 0 {
		return nil, errors.New("no command given")
	}
	u, err := h.LookupUser(spec.User)
	if err != nil {
		return nil, err
	}
	dir := spec.Dir
	if dir == "" {
		dir = "/"
		if fi, err := os.Stat(filepath.Join(h.root, u.Home)); err == nil && fi.IsDir() {
			dir = u.Home
		}
	}
	argv := []string{"nsenter", "-t", strconv.Itoa(h.leader), "-a", "--",
		"/usr/bin/setpriv", "--reuid=" + strconv.Itoa(u.UID), "--regid=" + strconv.Itoa(u.GID),
		"--init-groups", "--reset-env", "--",
		"/usr/bin/env", "--default-signal", "-C", dir}
	for _, kv := range spec.Env {
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("environment entry %q is not KEY=VALUE", kv)
		}
		argv = append(argv, kv)
	}
	if strings.Contains(spec.Argv[0], "=") {
		// env would take it for an assignment.
		return nil, fmt.Errorf("command %q contains '=': give a path without it", spec.Argv[0])
	}
	return append(argv, spec.Argv...), nil
}

// User is an account in the host's /etc/passwd (or libnss-extrausers').
type User struct {
	Name, Home, Shell string
	UID, GID          int
}

// passwdFiles are the host's user databases LookupUser reads: the plain
// file, then libnss-extrausers' (for users that only NSS knows).
var passwdFiles = []string{"etc/passwd", "var/lib/extrausers/passwd"}

// LookupUser reads name's entry from the host's passwd files (read from
// the outer machine: no process needed).
func (h *Host) LookupUser(name string) (User, error) {
	for _, file := range passwdFiles {
		u, found, err := lookupPasswd(filepath.Join(h.root, file), name)
		if err != nil || found {
			return u, err
		}
	}
	return User{}, fmt.Errorf("no user %q in the test host: create it first (useradd)", name)
}

func lookupPasswd(path, name string) (User, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("reading the test host's users: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(sc.Text(), ":")
		if len(p) < 7 || p[0] != name {
			continue
		}
		uid, err1 := strconv.Atoi(p[2])
		gid, err2 := strconv.Atoi(p[3])
		if err1 != nil || err2 != nil {
			return User{}, false, fmt.Errorf("bad passwd entry for %q in the test host", name)
		}
		return User{Name: name, UID: uid, GID: gid, Home: p[5], Shell: p[6]}, true, nil
	}
	return User{}, false, nil
}

// exitCode turns a finished command into a shell-style status.
func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState == nil {
		return -1
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) && !errors.Is(err, exec.ErrWaitDelay) {
		return -1
	}
	return cmd.ProcessState.ExitCode()
}

// WriteFile writes data to path in the host as user (so the file is that
// user's and the user's permissions apply), then sets perm.
func (h *Host) WriteFile(ctx context.Context, user, path string, data []byte, perm os.FileMode) error {
	r := h.Run(ctx, Spec{User: user, Stdin: bytes.NewReader(data), Argv: []string{"/bin/sh", "-c",
		`umask 077 && cat > "$1" && chmod "$2" "$1"`, "sh", path, fmt.Sprintf("%04o", perm.Perm())}})
	if r.Err != nil || r.Code != 0 {
		return fmt.Errorf("writing %s in the test host as %s: %s", path, user, r)
	}
	return nil
}

// ReadFile reads path in the host as user.
func (h *Host) ReadFile(ctx context.Context, user, path string) ([]byte, error) {
	r := h.Exec(ctx, user, "cat", "--", path)
	if r.Err != nil || r.Code != 0 {
		return nil, fmt.Errorf("reading %s in the test host as %s: %s", path, user, r)
	}
	return []byte(r.Stdout), nil
}
