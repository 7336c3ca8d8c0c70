package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sbxdev/sbx/launcher/bridge"
	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/hint"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
	"github.com/sbxdev/sbx/launcher/trust"
)

// project is a loaded .sandbox and the machine it names.
type project struct {
	File *sandboxfile.File
	Name string
}

// cwd is the real current directory (machines bind projects by real path).
func (c *Ctx) cwd() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the current directory: %w", err)
	}
	return filepath.EvalSymlinks(wd)
}

func (c *Ctx) home() string {
	if h := c.Env["HOME"]; h != "" {
		return h
	}
	h, _ := os.UserHomeDir() // best effort: only used to expand ~
	return h
}

// loadProject finds and parses the .sandbox above dir.
func (c *Ctx) loadProject(dir string) (*project, error) {
	path, err := sandboxfile.Find(dir)
	if errors.Is(err, sandboxfile.ErrNotFound) {
		hint := "create one with `sbx init` in the project's top directory"
		if c.Cmd != nil && strings.Contains(c.Cmd.Args, "NAME") { // only where NAME is a form of the command
			hint += ", or name a machine: sbx " + c.Cmd.Name + " NAME"
		}
		return nil, WithHint(err, "%s", hint)
	}
	if err != nil {
		return nil, err
	}
	f, err := sandboxfile.Load(path, c.home())
	if err != nil {
		return nil, err // a *sandboxfile.ParseError carries its own hint
	}
	return &project{File: f, Name: f.Machine.Name}, nil
}

// requireTrust refuses to act on a .sandbox the user has not allowed: its
// Setup= lines run as root in the machine.
func (c *Ctx) requireTrust(p *project) error {
	store, err := trust.Open(c.Env)
	if err != nil {
		return err
	}
	if err := trust.CheckOwner(p.File.Path, os.Getuid()); err != nil {
		return err // a *trust.OwnerError carries its own hint
	}
	st, err := store.Check(p.File)
	if err != nil {
		return err
	}
	switch st {
	case trust.Allowed:
		return nil
	case trust.Denied:
		return WithHint(fmt.Errorf("%s is denied", p.File.Path), "to trust it after all: sbx allow %s", shellQuote(p.File.Root))
	case trust.Changed:
		return WithHint(fmt.Errorf("%s changed since you allowed it", p.File.Path), "review it, then: sbx allow %s", shellQuote(p.File.Root))
	default:
		return WithHint(fmt.Errorf("%s is not trusted yet", p.File.Path), "review it, then: sbx allow %s", shellQuote(p.File.Root))
	}
}

// spec is the machine contract for p: its .sandbox (contract.FromFile,
// the one place a file becomes a spec) and the current user.
func (c *Ctx) spec(p *project) (*contract.Spec, error) {
	f := p.File
	if err := sandboxfile.CheckRoot(f.Root, c.home()); err != nil {
		return nil, err
	}
	u, g, err := currentIdentity()
	if err != nil {
		return nil, err
	}
	shell := f.Exec.Shell
	if shell == "" {
		shell = c.Env["SHELL"]
	}
	if !filepath.IsAbs(shell) {
		shell = "/bin/bash"
	}
	s := contract.FromFile(f)
	s.Name = p.Name
	s.User = contract.User{Name: u.Name, UID: u.UID, Group: g.Name, GID: u.GID, Home: u.Home, Shell: shell, Groups: hostGroups(u)}
	s.Lang = c.Env["LANG"]
	for _, b := range f.Files.Binds {
		if _, err := os.Stat(b.Host); err != nil {
			return nil, WithHint(fmt.Errorf("%s:%d: Bind source %s: %w", f.Path, b.Line, b.Host, err),
				"create it, or remove that line")
		}
	}
	if err := c.checkDevices(p); err != nil {
		return nil, err
	}
	return s, s.Validate()
}

// requireTrustInteractive is requireTrust, but on a terminal it shows the
// file and offers to trust it instead of refusing.
func (c *Ctx) requireTrustInteractive(p *project) error {
	err := c.requireTrust(p)
	if err == nil || hint.Of(err) == "" || !c.interactive() {
		return err
	}
	fmt.Fprintf(c.IO.Err, "sbx: %v. It says:\n\n%s\n", err, indent(string(p.File.Data)))
	if cerr := c.confirm("Trust it (like sbx allow) and go on?"); cerr != nil {
		return err
	}
	store, serr := trust.Open(c.Env)
	if serr != nil {
		return serr
	}
	return store.Allow(p.File)
}

// interactive reports whether a person is at stdin and stderr.
func (c *Ctx) interactive() bool {
	return bridge.IsTerminal(c.IO.In) && bridge.IsTerminal(c.IO.ErrFile)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ") + "\n"
}
