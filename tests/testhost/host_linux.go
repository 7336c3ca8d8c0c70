package testhost

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sigPowerOff is SIGRTMIN+3 as glibc and systemd count (kernel SIGRTMIN is
// 32, glibc reserves two): systemd as PID 1 powers off cleanly on it.
const sigPowerOff = syscall.Signal(37)

// Host is a booted, disposable systemd host. All methods are safe to call
// from several goroutines.
type Host struct {
	opts    Options
	name    string // machine name and cgroup name, unique per run
	runDir  string // CacheDir/runs/ID: state, console log, rootfs copy
	root    string
	cg      *cgroupSet
	nspawn  *exec.Cmd
	leader  int           // the host's PID 1 as the outer machine sees it
	exited  chan struct{} // closed when systemd-nspawn has exited
	waitErr error         // systemd-nspawn's exit, valid after exited

	closeOnce sync.Once
	closeErr  error
	mu        sync.Mutex
	console   string // kept by Close, since the run directory goes away
}

// Boot builds (once) or reuses the cached root filesystem, boots a fresh
// copy of it with systemd-nspawn and returns when systemd inside reports
// running or degraded. On failure nothing is left behind and the error
// carries the end of the console output.
func Boot(ctx context.Context, opts Options) (*Host, error) {
	o := opts.withDefaults()
	if os.Geteuid() != 0 {
		return nil, errors.New("booting a test host needs root: run the tests with sudo tests/run.sh")
	}
	for _, tool := range []string{"systemd-nspawn", "nsenter", "cp"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("booting a test host needs %s: apt-get install systemd-container util-linux coreutils", tool)
		}
	}
	if err := CleanStale(o.CacheDir, o.Log); err != nil {
		o.logf("testhost: warning: %v", err)
	}
	rootfs, err := ensureRootfs(ctx, &o, append(append([]string{}, BasePackages...), o.Packages...))
	if err != nil {
		return nil, err
	}

	h := &Host{opts: o, exited: make(chan struct{})}
	if err := h.prepare(ctx, rootfs); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	if err := h.start(); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	if err := h.waitBooted(ctx); err != nil {
		console := h.readConsole()
		closeErr := h.Close()
		return nil, errors.Join(fmt.Errorf("%w\nlast console output of the test host:\n%s", err, tail(console, 60)), closeErr)
	}
	return h, nil
}

// prepare makes the run directory, the fresh copy and the cgroups.
func (h *Host) prepare(ctx context.Context, rootfs string) error {
	id := make([]byte, 4)
	_, _ = rand.Read(id) // never fails on Linux
	h.name = "sbx-testhost-" + hex.EncodeToString(id)
	h.runDir = filepath.Join(h.opts.CacheDir, "runs", h.name)
	h.root = filepath.Join(h.runDir, "rootfs")
	if err := os.MkdirAll(h.runDir, 0o700); err != nil {
		return fmt.Errorf("creating the test host run directory: %w", err)
	}
	if err := h.saveState(); err != nil {
		return err
	}
	start := time.Now()
	if err := copyTree(ctx, rootfs, h.root); err != nil {
		return err
	}
	h.opts.logf("testhost: copied the root filesystem in %s", time.Since(start).Round(10*time.Millisecond))
	if err := personalize(h.root, h.opts.Hostname); err != nil {
		return err
	}
	cg, err := newCgroupSet(h.name)
	if err != nil {
		return err
	}
	h.cg = cg
	return h.saveState()
}

// start runs systemd-nspawn in the host's own cgroups and its own session.
// A tiny shell moves itself into the cgroups and then execs nspawn, so no
// process of the host ever runs in the test's cgroup.
func (h *Host) start() error {
	console, err := os.Create(filepath.Join(h.runDir, "console.log"))
	if err != nil {
		return fmt.Errorf("creating the console log: %w", err)
	}
	defer console.Close()
	args := []string{"-c", `while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"`, "sh"}
	args = append(args, h.cg.procsFiles()...)
	args = append(args, "--")
	args = append(args, h.nspawnArgv()...)
	cmd := exec.Command("/bin/sh", args...)
	cmd.Stdout, cmd.Stderr = console, console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SYSTEMD_LOG_COLOR=0"}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting systemd-nspawn: %w", err)
	}
	h.nspawn = cmd
	go func() {
		h.waitErr = cmd.Wait()
		close(h.exited)
	}()
	h.opts.logf("testhost: booting %s (systemd-nspawn pid %d)", h.name, cmd.Process.Pid)
	return h.saveState()
}

// nspawnArgv is the command line that boots the copy. --register=no and
// --keep-unit because the outer machine has no systemd to register with.
func (h *Host) nspawnArgv() []string {
	argv := []string{"systemd-nspawn", "-q", "--register=no", "--keep-unit", "-b",
		"--capability=all", "--resolv-conf=bind-host", "--console=read-only", "--setenv=SYSTEMD_LOG_TIME=1",
		"--machine=" + h.name, "-D", h.root}
	for _, b := range h.opts.Binds {
		target := b.Target
		if target == "" {
			target = b.Source
		}
		flag := "--bind="
		if b.ReadOnly {
			flag = "--bind-ro="
		}
		argv = append(argv, flag+escapeBindPath(b.Source)+":"+escapeBindPath(target))
	}
	return argv
}

// escapeBindPath escapes what nspawn's --bind= syntax treats specially.
func escapeBindPath(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`).Replace(p)
}

// Root is the host's root filesystem as seen from the outer machine.
func (h *Host) Root() string { return h.root }

// Name is the host's unique machine name (also its cgroups' name).
func (h *Host) Name() string { return h.name }

// Leader is the PID of the host's PID 1 (systemd) on the outer machine.
func (h *Host) Leader() int { return h.leader }

// Console returns what the host printed on its console so far.
func (h *Host) Console() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.console != "" {
		return h.console
	}
	return h.readConsole()
}

func (h *Host) readConsole() string {
	data, _ := os.ReadFile(filepath.Join(h.runDir, "console.log")) // best effort: for messages only
	return string(data)
}

// running reports whether systemd-nspawn is still running.
func (h *Host) running() bool {
	if h.nspawn == nil {
		return false
	}
	select {
	case <-h.exited:
		return false
	default:
		return true
	}
}
