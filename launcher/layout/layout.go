// Package layout is where an sbx machine's parts live, on the host and in
// the guest, and the binds every machine has. Every other package takes
// these paths from here, so the CLI, the privileged helper, the agent and
// the guest's units agree on them by construction.
package layout

import "path/filepath"

// Host paths.
const (
	MachinesDir  = "/var/lib/machines"      // machined's image store; NAME is the machine's tree
	RuntimeDir   = "/var/lib/sbx/machines"  // per machine: the host side of the guest's GuestRuntime
	SnapshotsDir = "/var/lib/sbx/snapshots" // per machine: its snapshots
	LibDir       = "/usr/local/lib/sbx"     // holds the binary; bound read-only into machines
	LockDir      = "/run/sbx/locks"         // root's alone (0700); see builder/lock.go
	AptCacheDir  = "/var/cache/sbx/apt"     // per base: downloaded packages, shared by all machines of that base
)

// Guest paths.
const (
	GuestRuntime = "/run/sbx"            // the machine's runtime dir (agent socket, hand-back files)
	AgentConf    = "/etc/sbx/agent.conf" // the agent's settings (see agent.Config)
	GuestBinary  = LibDir + "/sbx"       // the same binary, at the same path inside
	AgentSocket  = GuestRuntime + "/agent.sock"
)

// Binary is the installed sbx binary on the host (and, bound, in the guest).
const Binary = LibDir + "/sbx"

// ImageDir is machine name's root filesystem.
func ImageDir(name string) string { return filepath.Join(MachinesDir, name) }

// HostRuntimeDir is the host side of machine name's GuestRuntime.
func HostRuntimeDir(name string) string { return filepath.Join(RuntimeDir, name) }

// HostAgentSocket is the agent's socket of machine name, seen from the host.
func HostAgentSocket(name string) string { return filepath.Join(HostRuntimeDir(name), "agent.sock") }

// Bind is one bind mount into a machine. Guest empty means the same path
// as Host. It is the one bind type: Bind= lines of a .sandbox, the
// standard binds, the .nspawn file and live mounts all use it.
type Bind struct {
	Host     string `json:"host"`
	Guest    string `json:"guest,omitempty"`
	ReadOnly bool   `json:"ro,omitempty"`
}

// Target is where b appears inside the machine.
func (b Bind) Target() string {
	if b.Guest == "" {
		return b.Host
	}
	return b.Guest
}

// StandardBinds are the binds every machine has: the project at the same
// path, the sbx binary's directory read-only, and the runtime directory.
func StandardBinds(name, project string) []Bind {
	return []Bind{
		{Host: project},
		{Host: LibDir, ReadOnly: true},
		{Host: HostRuntimeDir(name), Guest: GuestRuntime},
	}
}

// ReservedGuestPaths are guest paths a user's bind may not cover: the
// machine's own system, and sbx's directories.
var ReservedGuestPaths = []string{
	"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
	"/proc", "/run", "/sbin", "/sys", "/usr", "/var", LibDir, GuestRuntime,
}

// ReservedGuestTrees are guest paths under which a user's bind may not go.
var ReservedGuestTrees = []string{"/proc", "/sys", "/dev", GuestRuntime, LibDir}
