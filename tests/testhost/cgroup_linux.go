package testhost

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// cgroupSet is one cgroup per mounted hierarchy (every v1 controller, the
// name=systemd one and the unified one), all with the same name, each
// created below the cgroup the test process is in. Two nspawn booted from
// the same cgroup interfered with each other (DESIGN.md), and a cgroup of
// its own also lets Close find and kill everything the host left behind.
type cgroupSet struct {
	Dirs []string `json:"dirs"`
}

// newCgroupSet creates the cgroups called name.
func newCgroupSet(name string) (*cgroupSet, error) {
	parents, err := ownCgroupDirs()
	if err != nil {
		return nil, err
	}
	c := &cgroupSet{}
	for _, parent := range parents {
		dir := filepath.Join(parent, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			_ = c.remove() // best effort: undo the ones made so far
			return nil, fmt.Errorf("creating cgroup %s: %w", dir, err)
		}
		c.Dirs = append(c.Dirs, dir)
		// A v1 cpuset cgroup takes no tasks until it has CPUs and memory nodes.
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			v, err := os.ReadFile(filepath.Join(parent, f))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, f), v, 0o644)
			}
			if err != nil {
				_ = c.remove() // best effort
				return nil, fmt.Errorf("setting up cpuset cgroup %s: %w", dir, err)
			}
		}
	}
	return c, nil
}

// procsFiles are the files a process writes its PID into to join the set.
func (c *cgroupSet) procsFiles() []string {
	files := make([]string, len(c.Dirs))
	for i, d := range c.Dirs {
		files[i] = filepath.Join(d, "cgroup.procs")
	}
	return files
}

// pids lists every process in the set's cgroups and their children.
func (c *cgroupSet) pids() []int {
	var pids []int
	for _, d := range c.Dirs {
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() || e.Name() != "cgroup.procs" {
				return nil // best effort: cgroups vanish while we walk
			}
			data, _ := os.ReadFile(path)
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
					pids = append(pids, pid)
				}
			}
			return nil
		})
	}
	return pids
}

// killAll sends SIGKILL to every process in the set and returns how many
// it found.
func (c *cgroupSet) killAll() int {
	pids := c.pids()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL) // best effort: it may be gone already
	}
	return len(pids)
}

// remove deletes the cgroups, children first (systemd in the host made
// its own below ours). It fails while processes remain.
func (c *cgroupSet) remove() error {
	var errs []error
	for _, d := range c.Dirs {
		var dirs []string
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		slices.Reverse(dirs)
		for _, dir := range dirs {
			if err := syscall.Rmdir(dir); err != nil && !errors.Is(err, syscall.ENOENT) {
				errs = append(errs, fmt.Errorf("removing cgroup %s: %w", dir, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ownCgroupDirs returns, for every mounted cgroup hierarchy, the directory
// of the cgroup this process is in.
func ownCgroupDirs() ([]string, error) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("reading own cgroups: %w", err)
	}
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	return matchCgroupDirs(string(self), mounts), nil
}

// cgroupMount is one mounted cgroup hierarchy.
type cgroupMount struct {
	Root, Point string
	V2          bool
	Controllers []string // v1 only: e.g. cpu, cpuacct, name=systemd
}

// cgroupMounts reads the cgroup file systems from /proc/self/mountinfo.
func cgroupMounts() ([]cgroupMount, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	defer f.Close()
	var mounts []cgroupMount
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := parseCgroupMount(sc.Text()); ok {
			mounts = append(mounts, m)
		}
	}
	return mounts, sc.Err()
}

// parseCgroupMount parses one mountinfo line; ok is false for other file systems.
func parseCgroupMount(line string) (cgroupMount, bool) {
	pre, post, found := strings.Cut(line, " - ")
	if !found {
		return cgroupMount{}, false
	}
	f, g := strings.Fields(pre), strings.Fields(post)
	if len(f) < 5 || len(g) < 3 {
		return cgroupMount{}, false
	}
	m := cgroupMount{Root: unescapeMount(f[3]), Point: unescapeMount(f[4])}
	switch g[0] {
	case "cgroup2":
		m.V2 = true
	case "cgroup":
		for _, opt := range strings.Split(g[2], ",") {
			if opt != "rw" && opt != "ro" && !strings.Contains(opt, "=") || strings.HasPrefix(opt, "name=") {
				m.Controllers = append(m.Controllers, opt)
			}
		}
	default:
		return cgroupMount{}, false
	}
	return m, true
}

// matchCgroupDirs pairs each line of /proc/self/cgroup with its mount.
func matchCgroupDirs(self string, mounts []cgroupMount) []string {
	var dirs []string
	for _, line := range strings.Split(strings.TrimSpace(self), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, m := range mounts {
			if !m.serves(parts[1]) {
				continue
			}
			rel := strings.TrimPrefix(parts[2], m.Root)
			dir := filepath.Join(m.Point, rel)
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
			break
		}
	}
	return dirs
}

// serves reports whether m is the hierarchy of a /proc/self/cgroup line
// whose controller field is controllers ("" for the unified hierarchy).
func (m cgroupMount) serves(controllers string) bool {
	if controllers == "" {
		return m.V2
	}
	if m.V2 {
		return false
	}
	for _, c := range strings.Split(controllers, ",") {
		if !slices.Contains(m.Controllers, c) {
			return false
		}
	}
	return true
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
