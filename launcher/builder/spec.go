// Package builder is the privileged half of sbx: it builds machines (the
// seed's debootstrap, settings and user steps), and removes them. It runs as
// root inside a transient systemd unit started by the CLI, and reports to the
// CLI through Events on its standard output.
package builder

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Paths shared with the CLI.
const (
	MachinesDir = "/var/lib/machines"
	RuntimeDir  = "/var/lib/sbx/machines" // per-machine dir bound at /run/sbx in the guest
	LibDir      = "/usr/local/lib/sbx"    // holds the binary; bound read-only into machines
	LockDir     = "/run/sbx/locks"        // root's alone (0700); see lock.go
)

// User is the host user the machine is made for.
type User struct {
	Name  string
	UID   int
	Group string
	GID   int
	Home  string
	Shell string // login shell inside the machine
	// Groups are the user's supplementary groups, given inside too.
	Groups []Group `json:",omitempty"`
}

// Bind is an extra bind mount from [Files].
type Bind struct {
	Host, Guest string
	ReadOnly    bool
}

// Spec is everything the privileged create needs, decided by the CLI.
type Spec struct {
	Name         string
	Project      string // real path of the project root
	User         User
	Distribution string
	Release      string
	Mirror       string
	Packages     []string
	Hostname     string
	Binds        []Bind
	Private      bool
	Setup        [][]string
	Lang         string // host LANG, to generate that locale inside
	Arch         string // dpkg architecture
	// StopWhenIdle is written into the agent's configuration: the machine
	// powers itself off after this long without a command (0: never).
	StopWhenIdle time.Duration
}

var (
	nameRE    = lazyRegexp(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)
	releaseRE = lazyRegexp(`^[a-z][a-z0-9-]*$`)
	pkgRE     = lazyRegexp(`^[a-z0-9][a-z0-9+.-]+$`)
	userRE    = lazyRegexp(`^[a-zA-Z_][a-zA-Z0-9_.-]*\$?$`)
)

// Validate re-checks the spec on the root side: the CLI may be any program
// run by a member of group sbx.
func (s *Spec) Validate() error {
	switch {
	case !nameRE().MatchString(s.Name):
		return fmt.Errorf("invalid machine name %q", s.Name)
	case !filepath.IsAbs(s.Project) || filepath.Clean(s.Project) != s.Project || s.Project == "/":
		return fmt.Errorf("invalid project path %q", s.Project)
	case s.Distribution != "debian" && s.Distribution != "ubuntu":
		return fmt.Errorf("unknown distribution %q", s.Distribution)
	case !releaseRE().MatchString(s.Release):
		return fmt.Errorf("invalid release %q", s.Release)
	case !strings.HasPrefix(s.Mirror, "http://") && !strings.HasPrefix(s.Mirror, "https://") && !strings.HasPrefix(s.Mirror, "file:/"):
		return fmt.Errorf("invalid mirror %q", s.Mirror)
	case !userRE().MatchString(s.User.Name) || !userRE().MatchString(s.User.Group):
		return fmt.Errorf("invalid user or group name %q/%q", s.User.Name, s.User.Group)
	case s.User.UID <= 0 || s.User.GID < 0:
		return fmt.Errorf("machines are made for a non-root user; got uid %d", s.User.UID)
	case !filepath.IsAbs(s.User.Home) || !filepath.IsAbs(s.User.Shell):
		return fmt.Errorf("home %q and shell %q must be absolute", s.User.Home, s.User.Shell)
	case !nameRE().MatchString(s.Hostname):
		return fmt.Errorf("invalid hostname %q", s.Hostname)
	case s.StopWhenIdle < 0:
		return fmt.Errorf("invalid StopWhenIdle %s", s.StopWhenIdle)
	}
	for _, p := range s.Packages {
		if !pkgRE().MatchString(p) {
			return fmt.Errorf("invalid package name %q", p)
		}
	}
	for _, b := range s.Binds {
		if !filepath.IsAbs(b.Host) || !filepath.IsAbs(b.Guest) {
			return fmt.Errorf("bind paths must be absolute: %q:%q", b.Host, b.Guest)
		}
	}
	return nil
}

// Encode packs the spec into one command-line argument.
func (s *Spec) Encode() (string, error) {
	b, err := json.Marshal(s)
	return base64.RawURLEncoding.EncodeToString(b), err
}

// DecodeSpec unpacks Encode's output and validates it.
func DecodeSpec(arg string) (*Spec, error) {
	b, err := base64.RawURLEncoding.DecodeString(arg)
	if err != nil {
		return nil, fmt.Errorf("decoding spec: %w", err)
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("decoding spec: %w", err)
	}
	return &s, s.Validate()
}

// ImageDir is the machine's root filesystem.
func ImageDir(name string) string { return filepath.Join(MachinesDir, name) }

// buildDir is where a machine is assembled; machined ignores hidden names.
func buildDir(name string) string { return filepath.Join(MachinesDir, ".sbx-build-"+name) }

// HostRuntimeDir is the host side of the guest's /run/sbx.
func HostRuntimeDir(name string) string { return filepath.Join(RuntimeDir, name) }

// lazyRegexp compiles expr on first use: compiling at package init costs
// every sbx invocation (sbx run among them) milliseconds it never needs.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
