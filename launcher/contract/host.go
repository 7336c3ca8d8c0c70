package contract

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// X11Dir holds the X servers' sockets; bound whole, so a server started
// after the machine is reachable too.
const X11Dir = "/tmp/.X11-unix"

// GPUGlobs are the device nodes GPU=yes gives a machine, where the host
// has them.
var GPUGlobs = []string{"/dev/dri/*", "/dev/nvidia*", "/dev/nvidia-caps/*"}

// hostBinds are the machine-level parts of [Host] as binds: the user's
// git configuration (GitConfig=) and the X11 socket directory (Display=).
// Only what exists on the host now is bound: a missing source would stop
// the machine from starting, and one that appears later is a change the
// next use applies. A few stats, on every use.
func hostBinds(h sandboxfile.Host) []layout.Bind {
	var binds []layout.Bind
	if h.WantGitConfig() && filepath.IsAbs(h.Home) {
		if f := filepath.Join(h.Home, ".gitconfig"); isKind(f, 0) {
			binds = append(binds, layout.Bind{Host: f, ReadOnly: true})
		}
		if d := filepath.Join(h.Home, ".config", "git"); isKind(d, os.ModeDir) {
			binds = append(binds, layout.Bind{Host: d, ReadOnly: true})
		}
	}
	if h.Display && isKind(X11Dir, os.ModeDir) {
		binds = append(binds, layout.Bind{Host: X11Dir, ReadOnly: true})
	}
	return binds
}

// Devices are the device nodes of [Host]: each Device= (whether or not
// the host has it; applying says so), and the GPU nodes the host has now.
// Sorted, without duplicates.
func Devices(h sandboxfile.Host) []string {
	devs := slices.Clone(h.Devices)
	if h.GPU {
		devs = append(devs, GPUDevices()...)
	}
	slices.Sort(devs)
	return slices.Compact(devs)
}

// GPUDevices lists the host's GPU device nodes.
func GPUDevices() []string {
	var devs []string
	for _, g := range GPUGlobs {
		m, _ := filepath.Glob(g) // the patterns are valid
		for _, d := range m {
			if st, err := os.Stat(d); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				devs = append(devs, d)
			}
		}
	}
	return devs
}

// isKind reports whether path exists as a regular file (kind 0) or as a
// directory (os.ModeDir).
func isKind(path string, kind os.FileMode) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if kind == 0 {
		return st.Mode().IsRegular()
	}
	return st.Mode()&kind != 0
}
