package cli

import (
	"errors"
	"fmt"
	"os"
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

func (c *Ctx) home() string {
	if h := c.Env["HOME"]; h != "" {
		return h
	}
	h, _ := os.UserHomeDir() // best effort: only used to expand ~
	return h
}

// loadProject finds and parses the .sandbox above dir.
func (c *Ctx) loadProject(dir string) (*project, error) {
	f, err := c.sandboxAt(dir)
	if err != nil {
		return nil, err
	}
	return &project{File: f, Name: f.Machine.Name}, nil
}

// sandboxAt finds the .sandbox from dir (relative to where sbx works)
// upward and parses it once; no file, or a parse error (file:line), comes
// with its fix as the hint.
func (c *Ctx) sandboxAt(dir string) (*sandboxfile.File, error) {
	path, err := c.findSandbox(dir)
	if err != nil {
		return nil, err
	}
	return sandboxfile.Load(path, c.home()) // a *sandboxfile.ParseError carries its own hint
}

// findSandbox finds the path of the .sandbox from dir upward.
func (c *Ctx) findSandbox(dir string) (string, error) {
	dir, err := c.abs(dir)
	if err != nil {
		return "", err
	}
	path, err := sandboxfile.Find(dir)
	if errors.Is(err, sandboxfile.ErrNotFound) {
		hint := "create one with `sbx init` in the project's top directory"
		if c.Cmd != nil && strings.Contains(c.Cmd.Args, "NAME") { // only where NAME is a form of the command
			hint += ", or name a machine: sbx " + c.Cmd.Name + " NAME"
		}
		return "", WithHint(err, "%s", hint)
	}
	return path, err
}

// checkOwner refuses a .sandbox that other users could have written; the
// *trust.OwnerError carries the fix as its hint.
func checkOwner(path string) error {
	return trust.CheckOwner(path, os.Getuid())
}

// checkTrust opens the user's trust store and says how f stands in it.
func (c *Ctx) checkTrust(f *sandboxfile.File) (trust.Store, trust.Status, error) {
	store, err := trust.Open(c.Env)
	if err != nil {
		return trust.Store{}, 0, err
	}
	st, err := store.Check(f)
	return store, st, err
}

// requireTrust refuses to act on a .sandbox the user has not allowed: its
// Setup= lines run as root in the machine.
func (c *Ctx) requireTrust(p *project) error {
	if err := checkOwner(p.File.Path); err != nil {
		return err
	}
	_, st, err := c.checkTrust(p.File)
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
	u, err := c.currentUser(f.Exec.Shell)
	if err != nil {
		return nil, err
	}
	s := contract.FromFile(f)
	s.Name = p.Name
	s.User = u
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
