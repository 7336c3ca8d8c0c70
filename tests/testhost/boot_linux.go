package testhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// waitBooted finds the host's PID 1 and polls systemd inside until it
// reports the end of the boot, bounded by BootTimeout and ctx.
func (h *Host) waitBooted(ctx context.Context) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, h.opts.BootTimeout)
	defer cancel()
	if err := h.findLeader(ctx); err != nil {
		return err
	}
	var last string
	for {
		state, err := h.systemState(ctx)
		switch {
		case err == nil && (state == "running" || state == "degraded"):
			if state == "degraded" {
				h.opts.logf("testhost: %s is degraded (usual for a minimal container): %s",
					h.name, h.failedUnits(ctx))
			}
			h.opts.logf("testhost: %s booted in %s", h.name, time.Since(start).Round(10*time.Millisecond))
			return nil
		case err == nil && (state == "maintenance" || state == "stopping"):
			return fmt.Errorf("test host %s did not boot: systemd says %q", h.name, state)
		case err != nil:
			last = err.Error()
		default:
			last = "systemd says " + state
		}
		if !h.running() {
			return fmt.Errorf("test host %s: systemd-nspawn exited during boot (%v)", h.name, h.waitErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("test host %s did not finish booting within %s (last: %s)", h.name, h.opts.BootTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// systemState asks systemd in the host how far the boot is, waiting while
// it is starting. It fails, or says "offline", while systemd cannot be
// reached yet.
func (h *Host) systemState(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "nsenter", "-t", strconv.Itoa(h.leader), "-a",
		"systemctl", "is-system-running", "--wait")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	state := strings.TrimSpace(string(out))
	// is-system-running exits non-zero for "degraded" too: the text decides.
	if state != "" && !strings.Contains(state, "\n") && !strings.Contains(state, " ") {
		return state, nil
	}
	if err == nil {
		err = errors.New("no answer")
	}
	return "", fmt.Errorf("systemctl is-system-running: %w %s", err, state)
}

// failedUnits lists the failed units, for the log line about "degraded".
func (h *Host) failedUnits(ctx context.Context) string {
	r := h.Exec(ctx, "root", "systemctl", "list-units", "--failed", "--plain", "--no-legend")
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return "failed units: " + strings.Join(names, " ")
}

// findLeader polls for the child of systemd-nspawn that is PID 1 of the
// new PID namespace, and waits until it has become systemd.
func (h *Host) findLeader(ctx context.Context) error {
	pid := h.nspawn.Process.Pid
	for {
		if leader := namespaceInitChild(pid); leader > 0 && isSystemd(leader) {
			h.leader = leader
			return h.saveState()
		}
		if !h.running() {
			return fmt.Errorf("test host %s: systemd-nspawn exited before systemd started (%v)", h.name, h.waitErr)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("test host %s: systemd did not start within %s", h.name, h.opts.BootTimeout)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// namespaceInitChild returns the child of pid that is PID 1 in its own PID
// namespace, or 0.
func namespaceInitChild(pid int) int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, t := range tasks {
		data, _ := os.ReadFile(t) // best effort: polled again
		for _, f := range strings.Fields(string(data)) {
			child, err := strconv.Atoi(f)
			if err == nil && nsPID(child) == 1 {
				return child
			}
		}
	}
	return 0
}

// nsPID returns pid's PID in its innermost PID namespace (the last NSpid).
func nsPID(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			f := strings.Fields(rest)
			if len(f) < 2 {
				return 0 // not in a nested PID namespace
			}
			n, _ := strconv.Atoi(f[len(f)-1])
			return n
		}
	}
	return 0
}

// isSystemd reports whether pid runs systemd already (nspawn's child
// execs it only after setting up the container).
func isSystemd(pid int) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return err == nil && filepath.Base(exe) == "systemd"
}
