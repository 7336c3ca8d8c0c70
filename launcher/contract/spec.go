// Package contract is the machine contract: what a machine is made of
// (Spec, built from a .sandbox and the user in one place), what has been
// applied to it (Record, kept in the machine's .nspawn header), and the
// difference between the two (Changes), key by key, with the rule that
// says when each change takes effect. The CLI and the privileged helper
// both use it; the helper validates every Spec it is handed again.
package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// User is the host user the machine is made for.
type User struct {
	Name  string
	UID   int
	Group string
	GID   int
	Home  string
	Shell string // login shell inside the machine at create
	// Groups are the user's supplementary groups, given inside too.
	Groups []Group `json:",omitempty"`
}

// Group is one of the host user's groups, given to the user inside too.
type Group struct {
	Name string
	GID  int
}

// Spec is everything the privileged side needs to make or update a machine.
type Spec struct {
	Name         string
	Project      string // real path of the project root
	User         User
	Distribution string
	Release      string
	Mirror       string
	Arch         string // dpkg architecture
	Packages     []string
	Hostname     string
	Binds        []layout.Bind // the user's binds; StandardBinds come on top
	Private      bool
	Setup        [][]string
	Lang         string // host LANG, to generate that locale inside
	// StopWhenIdle is written into the agent's configuration: the machine
	// powers itself off after this long without a command (0: never).
	StopWhenIdle time.Duration
	// Shell is Shell= of the .sandbox: the login shell to switch to on
	// apply; empty keeps the one chosen at create (User.Shell).
	Shell string
	// Devices are the device nodes of [Host] (Device=, GPU=): bound into
	// the machine and allowed in its unit's device policy.
	Devices []string `json:",omitempty"`
}

// FromFile is the one place a parsed .sandbox becomes a Spec. The user
// (and Lang) are the caller's to add: they cost a lookup that the fast
// path of `sbx run` does not need to compare a machine with its file.
func FromFile(f *sandboxfile.File) *Spec {
	s := &Spec{
		Name: f.Machine.Name, Project: f.Root,
		Distribution: f.Machine.Distribution, Release: f.Machine.Release, Mirror: f.Machine.Mirror,
		Arch: DebArch(), Packages: f.Machine.Packages, Hostname: f.Machine.Hostname,
		Private: f.Network.Private, Setup: f.Exec.Setup, StopWhenIdle: f.Machine.StopWhenIdle,
		Shell: f.Exec.Shell,
	}
	for _, b := range f.Files.Binds {
		s.Binds = append(s.Binds, normalBind(b.Bind))
	}
	s.Binds = append(s.Binds, hostBinds(f.Host)...)
	s.Devices = Devices(f.Host)
	return s
}

// normalBind writes a bind to the same path with Guest empty, so equal
// binds compare equal.
func normalBind(b layout.Bind) layout.Bind {
	if b.Guest == b.Host {
		b.Guest = ""
	}
	return b
}

// DebArch is the host's architecture in Debian's names.
func DebArch() string {
	switch runtime.GOARCH {
	case "386":
		return "i386"
	case "arm":
		return "armhf"
	case "ppc64le":
		return "ppc64el"
	default:
		return runtime.GOARCH
	}
}

// Validate checks the spec with the same rules the .sandbox parser uses.
// The privileged side calls it on every spec: the CLI may be any program
// run by a member of group sbx.
func (s *Spec) Validate() error {
	u := s.User
	checks := []struct {
		what string
		err  error
	}{
		{"machine name", sandboxfile.ValidName(s.Name)},
		{"Distribution=", sandboxfile.ValidDistribution(s.Distribution)},
		{"Release=", sandboxfile.ValidRelease(s.Release)},
		{"Mirror=", sandboxfile.ValidMirror(s.Mirror)},
		{"Hostname=", sandboxfile.ValidHostname(s.Hostname)},
		{"architecture", validWord(s.Arch)},
		{"project", validProject(s.Project)},
		{"user", validUser(u)},
	}
	for _, c := range checks {
		if c.err != nil {
			return fmt.Errorf("invalid %s: %w", c.what, c.err)
		}
	}
	if s.StopWhenIdle < 0 {
		return fmt.Errorf("invalid StopWhenIdle= %s", s.StopWhenIdle)
	}
	if s.Shell != "" && (!filepath.IsAbs(s.Shell) || filepath.Clean(s.Shell) != s.Shell) {
		return fmt.Errorf("invalid Shell= %q: not an absolute path", s.Shell)
	}
	for _, p := range s.Packages {
		if err := sandboxfile.ValidPackage(p); err != nil {
			return fmt.Errorf("invalid Packages=: %w", err)
		}
	}
	for _, b := range s.Binds {
		if err := sandboxfile.ValidBind(b); err != nil {
			return fmt.Errorf("invalid Bind=: %w", err)
		}
	}
	for _, d := range s.Devices {
		if err := sandboxfile.ValidDevice(d); err != nil {
			return fmt.Errorf("invalid Device=: %w", err)
		}
	}
	for _, argv := range s.Setup {
		if len(argv) == 0 || argv[0] == "" {
			return errors.New("invalid Setup=: empty command")
		}
	}
	return nil
}

func validWord(v string) error {
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) >= 0 {
		return fmt.Errorf("%q is not a dpkg architecture", v)
	}
	return nil
}

func validProject(p string) error {
	if strings.ContainsAny(p, "\n\r") {
		// nspawn's Bind= syntax has no way to write a line break.
		return fmt.Errorf("the project path %q has a line break, which cannot be bound into a machine: rename the directory", p)
	}
	if !filepath.IsAbs(p) || filepath.Clean(p) != p || p == "/" {
		return fmt.Errorf("%q is not an absolute, clean path below /", p)
	}
	return nil
}

// userNameOK is the shadow-utils rule for user and group names.
func userNameOK(n string) bool {
	if n == "" || len(n) > 32 || n[0] == '-' {
		return false
	}
	for i, r := range n {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' ||
			(i > 0 && (r >= '0' && r <= '9' || r == '.' || r == '-' || (r == '$' && i == len(n)-1)))
		if !ok {
			return false
		}
	}
	return true
}

func validUser(u User) error {
	switch {
	case !userNameOK(u.Name) || !userNameOK(u.Group):
		return fmt.Errorf("bad user or group name %q/%q", u.Name, u.Group)
	case u.UID <= 0 || u.GID < 0:
		return fmt.Errorf("machines are made for a non-root user; got uid %d", u.UID)
	case !filepath.IsAbs(u.Home) || !filepath.IsAbs(u.Shell):
		return fmt.Errorf("home %q and shell %q must be absolute", u.Home, u.Shell)
	}
	for _, g := range u.Groups {
		if !userNameOK(g.Name) || g.GID <= 0 {
			return fmt.Errorf("bad group %q (GID %d)", g.Name, g.GID)
		}
	}
	return nil
}

// Encode is the spec as the privileged side reads it (on its stdin).
func (s *Spec) Encode() ([]byte, error) { return json.Marshal(s) }

// DecodeSpec reads Encode's output and validates it.
func DecodeSpec(data []byte) (*Spec, error) {
	var s Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decoding spec: %w", err)
	}
	return &s, s.Validate()
}
