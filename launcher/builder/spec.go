// Package builder is the privileged half of sbx: it builds machines (the
// seed's debootstrap, settings and user steps), applies a .sandbox's
// changes to them, and removes them. It runs as root inside a transient
// systemd unit started by the CLI, reads its spec on standard input, and
// reports to the CLI through Events on its standard output.
package builder

import (
	"regexp"
	"sync"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
)

// Paths shared with the CLI (see package layout).
const (
	MachinesDir = layout.MachinesDir
	RuntimeDir  = layout.RuntimeDir
	LibDir      = layout.LibDir
	LockDir     = layout.LockDir
)

// The machine contract's types, under the names the builder has used.
type (
	Spec = contract.Spec
	User = contract.User
	Bind = layout.Bind
)

var (
	nameRE    = lazyRegexp(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
	releaseRE = lazyRegexp(`^[a-z]+$`) // sandboxfile.ValidRelease's rule
	userRE    = lazyRegexp(`^[a-zA-Z_][a-zA-Z0-9_.-]*\$?$`)
)

// ImageDir is the machine's root filesystem.
func ImageDir(name string) string { return layout.ImageDir(name) }

// buildDir is where a machine is assembled; machined ignores hidden names.
func buildDir(name string) string { return layout.ImageDir(".sbx-build-" + name) }

// HostRuntimeDir is the host side of the guest's /run/sbx.
func HostRuntimeDir(name string) string { return layout.HostRuntimeDir(name) }

// lazyRegexp compiles expr on first use: compiling at package init costs
// every sbx invocation (sbx run among them) milliseconds it never needs.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
