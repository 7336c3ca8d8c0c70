package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// target is the machine a lifecycle command acts on.
type target struct {
	Name    string
	Meta    nspawn.Meta
	Project *project // the trusted project it was taken from, or nil (by NAME)
}

// resolveTarget picks the machine from a NAME argument or, without one,
// from the project around the current directory. The machine must exist.
func (c *Ctx) resolveTarget(args []string) (*target, error) {
	if len(args) > 1 {
		return nil, Usagef("too many arguments")
	}
	if err := machine.Preflight(); err != nil {
		return nil, WithHint(err, "sbx runs machines with systemd-nspawn and systemd-machined; use a host booted with systemd")
	}
	var name string
	if len(args) == 1 {
		name = args[0]
		if err := sandboxfile.ValidName(name); err != nil {
			return nil, Usagef("%v", err)
		}
	} else {
		// The machine a .sandbox names is used only once the file is
		// trusted: a cloned project's Name= must not aim sbx stop (or rm)
		// at another machine.
		p, _, err := c.currentProject()
		if err != nil {
			return nil, err
		}
		if err := c.requireTrust(p); err != nil {
			return nil, err
		}
		name = p.Name
		if meta, err := nspawn.ReadMeta(name); err == nil {
			if err := checkOwnProject(p, meta); err != nil {
				return nil, err
			}
		}
		t, err := c.targetByName(name, true)
		if t != nil {
			t.Project = p
		}
		return t, err
	}
	return c.targetByName(name, false)
}

// targetByName reads machine name's settings; fromProject says whether
// the name came from the current directory's .sandbox (for the message).
func (c *Ctx) targetByName(name string, fromProject bool) (*target, error) {
	args := []string{name}
	if fromProject {
		args = nil
	}
	meta, err := nspawn.ReadMeta(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if len(args) == 0 {
			return nil, WithHint(fmt.Errorf("this project's machine %s has not been created yet", name), "create it: sbx create")
		}
		return nil, WithHint(fmt.Errorf("no sbx machine named %s", name), "see the machines there are: sbx list")
	case errors.Is(err, nspawn.ErrNotSbx):
		return nil, WithHint(fmt.Errorf("machine %s was not made by sbx", name), "manage it with machinectl")
	case err != nil:
		return nil, err
	}
	return &target{Name: name, Meta: meta}, nil
}

// onMachine resolves the target from args, connects to the system bus and
// calls fn, all bounded by timeout (0: none): fn gets a copy of c whose
// context ends then.
func (c *Ctx) onMachine(args []string, timeout time.Duration, fn func(c *Ctx, bus *machine.Bus, t *target) error) error {
	t, err := c.resolveTarget(args)
	if err != nil {
		return err
	}
	tc, cancel := c.within(timeout)
	defer cancel()
	return tc.withBus(func(bus *machine.Bus) error { return fn(tc, bus, t) })
}

// currentProject loads the project around the current directory.
func (c *Ctx) currentProject() (*project, string, error) {
	wd, err := c.cwd()
	if err != nil {
		return nil, "", err
	}
	p, err := c.loadProject(wd)
	return p, wd, err
}
