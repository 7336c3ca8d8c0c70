package testhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Close powers the host off (SIGRTMIN+3 to its systemd), waits for it,
// kills by PID whatever is still in its cgroups, removes the cgroups and
// the run directory, and checks that no process, cgroup or mount is left.
// It is safe to call more than once.
func (h *Host) Close() error {
	h.closeOnce.Do(func() { h.closeErr = h.close() })
	return h.closeErr
}

func (h *Host) close() error {
	start := time.Now()
	if h.running() && h.leader > 0 {
		h.killStrays()
		// Repeated: a systemd that is still starting ignores the signal.
		for i := 0; i < 30 && h.running(); i++ {
			_ = syscall.Kill(h.leader, sigPowerOff) // best effort: killed below if it did not work
			h.waitExit(time.Second)
		}
		if h.running() {
			h.opts.logf("testhost: %s did not power off within 30s; killing it", h.name)
		} else if d := time.Since(start); d > 5*time.Second {
			h.opts.logf("testhost: %s took %s to power off; its console ends with:\n%s",
				h.name, d.Round(100*time.Millisecond), tail(h.readConsole(), 40))
		}
	}
	if h.running() {
		_ = h.nspawn.Process.Kill() // best effort: checked by waitExit
	}
	var errs []error
	if h.cg != nil {
		for i := 0; i < 50 && h.cg.killAll() > 0; i++ {
			time.Sleep(100 * time.Millisecond) // let the kernel reap before counting again
		}
		if left := h.cg.pids(); len(left) > 0 {
			errs = append(errs, fmt.Errorf("test host %s: processes %v survived SIGKILL", h.name, left))
		}
	}
	if h.nspawn != nil && !h.waitExit(10*time.Second) {
		errs = append(errs, fmt.Errorf("test host %s: systemd-nspawn (pid %d) did not exit", h.name, h.nspawn.Process.Pid))
	}
	if h.cg != nil {
		if err := removeCgroupsRetrying(h.cg); err != nil {
			errs = append(errs, err)
		}
	}
	if h.runDir != "" {
		h.mu.Lock()
		h.console = h.readConsole()
		h.mu.Unlock()
		if err := removeRunDir(h.runDir); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		h.opts.logf("testhost: %s closed in %s", h.name, time.Since(start).Round(10*time.Millisecond))
	}
	return errors.Join(errs...)
}

// killStrays kills the processes tests started in the host through
// nsenter: they run outside the host's units (an interactive bash even
// ignores SIGTERM), so systemd's final "kill remaining processes" step
// would wait 10 s for them. Everything systemd runs is in the host's
// cgroups and is stopped cleanly by the power-off.
func (h *Host) killStrays() {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", h.leader))
	if err != nil {
		return
	}
	managed := map[int]bool{}
	if h.cg != nil {
		for _, pid := range h.cg.pids() {
			managed[pid] = true
		}
	}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || managed[pid] {
			continue
		}
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && other == ns {
			_ = syscall.Kill(pid, syscall.SIGKILL) // best effort: it may have exited
		}
	}
}

// waitExit waits up to d for systemd-nspawn to exit.
func (h *Host) waitExit(d time.Duration) bool {
	if h.nspawn == nil {
		return true
	}
	select {
	case <-h.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// removeCgroupsRetrying removes the cgroups; the kernel may still be
// tearing down a killed process for a moment, so it retries briefly.
func removeCgroupsRetrying(cg *cgroupSet) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = cg.remove(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// removeRunDir deletes a run directory, first detaching any mount below it
// so the removal can never reach into a bound directory.
func removeRunDir(dir string) error {
	for _, m := range mountsUnder(dir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH) // best effort: checked below
	}
	if left := mountsUnder(dir); len(left) > 0 {
		return fmt.Errorf("not removing %s: still mounted: %s", dir, strings.Join(left, " "))
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing the test host copy %s: %w", dir, err)
	}
	return nil
}

// mountsUnder lists mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		p := unescapeMount(f[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append([]string{p}, points...)
		}
	}
	return points
}

// runState is written into every run directory so that a later Boot can
// clean up after a test process that died without calling Close.
type runState struct {
	OwnerPID   int        `json:"owner_pid"`
	OwnerStart string     `json:"owner_start"`
	NspawnPID  int        `json:"nspawn_pid,omitempty"`
	Leader     int        `json:"leader,omitempty"`
	Cgroups    *cgroupSet `json:"cgroups,omitempty"`
}

func (h *Host) saveState() error {
	s := runState{OwnerPID: os.Getpid(), OwnerStart: processStart(os.Getpid()), Leader: h.leader, Cgroups: h.cg}
	if h.nspawn != nil {
		s.NspawnPID = h.nspawn.Process.Pid
	}
	data, _ := json.Marshal(s) // plain data: never fails
	if err := os.WriteFile(filepath.Join(h.runDir, "state.json"), data, 0o600); err != nil {
		return fmt.Errorf("writing test host state: %w", err)
	}
	return nil
}

// CleanStale removes what test hosts of dead test processes left in
// cacheDir: their processes, cgroups and copies. Boot calls it; a run
// killed by `go test -timeout` is then cleaned by the next one.
func CleanStale(cacheDir string, log io.Writer) error {
	runs, _ := filepath.Glob(filepath.Join(cacheDir, "runs", "*"))
	var errs []error
	for _, dir := range runs {
		var s runState
		data, err := os.ReadFile(filepath.Join(dir, "state.json"))
		if err == nil {
			err = json.Unmarshal(data, &s)
		}
		if err != nil {
			// No state: a run that died while creating its directory, or
			// one that is just being created; only the old ones are stale.
			if fi, serr := os.Stat(dir); serr != nil || time.Since(fi.ModTime()) < 10*time.Minute {
				continue
			}
		} else if processStart(s.OwnerPID) == s.OwnerStart {
			continue // its test process is still alive
		}
		if log != nil {
			fmt.Fprintf(log, "testhost: cleaning up %s, left by a test process that is gone\n", filepath.Base(dir))
		}
		if s.Cgroups != nil {
			for i := 0; i < 50 && s.Cgroups.killAll() > 0; i++ {
				time.Sleep(100 * time.Millisecond)
			}
			if err := removeCgroupsRetrying(s.Cgroups); err != nil {
				errs = append(errs, err)
				continue // its processes may still use the copy
			}
		}
		if err := removeRunDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// processStart returns pid's start time in clock ticks since boot (field 22
// of /proc/PID/stat), which tells a live process from a reused PID; "" if
// there is no such process.
func processStart(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22 overall: fields here start at field 3
}
