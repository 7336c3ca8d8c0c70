package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/safetext"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
	"github.com/sbxdev/sbx/launcher/trust"
)

func shellCmd() *Command {
	var dir, cdFile string
	var auto, root bool
	var env multiFlag
	return &Command{
		Name: "shell", Args: "[-C DIR] [--root]", Group: "Project",
		Short: "open a shell in the project's machine",
		Long: `Opens an interactive login shell in the project's machine, as you, in the same
directory (the project is bound at the same path). The machine is created and
started first when needed. Leave with exit or Ctrl-D.

Editors: use 'sbx shell' as a terminal profile (with -C DIR if the editor does
not start it in the project). Outside any project it runs your normal shell on
the host with a one-line note, so an editor terminal never just fails.

The shell hook (sbx hook) runs 'sbx shell --auto' when you cd into a project.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "C", "", "start in `DIR` (and its project) instead of the current directory")
			fs.BoolVar(&root, "root", false, "a root shell inside the machine")
			fs.Var(&env, "e", "set `KEY=VALUE` in the shell's environment; repeatable")
			fs.BoolVar(&auto, "auto", false, "called by the shell hook: enter only a trusted project, never ask, one line otherwise")
			fs.StringVar(&cdFile, "cd-file", "", "for the hook: `FILE` to write the directory the shell left the project for")
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("shell takes no arguments; to run a command use: sbx run COMMAND")
			}
			if err := c.setDir(dir); err != nil {
				return err
			}
			if auto {
				return c.autoShell(cdFile, root, env)
			}
			if m := c.insideMachine(); m != "" {
				return alreadyInside(m)
			}
			return c.shell(cdFile, root, env)
		},
	}
}

// shell runs the login shell in the machine; without a project it falls
// back to the user's shell on the host (editor terminal profiles).
func (c *Ctx) shell(cdFile string, root bool, env []string) error {
	wd, err := c.cwd()
	if err != nil {
		return err
	}
	if _, err := sandboxfile.Find(wd); errors.Is(err, sandboxfile.ErrNotFound) {
		return c.hostShell()
	}
	p, err := c.loadProject(wd)
	if err != nil {
		return err
	}
	argv, login := []string{"/bin/sh", "-c", `exec "${SHELL:-/bin/bash}" -l`}, false
	if sh := p.File.Exec.Shell; sh != "" {
		argv, login = []string{sh}, true
	}
	if cdFile == "" {
		return c.runInMachine(argv, env, root, login, "")
	}
	// The hook's shell hands back the directory it left the project for
	// through a file in /run/sbx, which is this host directory.
	var rnd [8]byte
	rand.Read(rnd[:])
	name := "return." + hex.EncodeToString(rnd[:])
	hostFile := filepath.Join(builder.HostRuntimeDir(p.Name), name)
	defer os.Remove(hostFile)
	err = c.runInMachine(argv, env, root, login, layout.GuestRuntime+"/"+name)
	if data, rerr := readGuestFile(hostFile, 64<<10); rerr == nil && len(data) > 0 {
		if werr := c.writeFile(cdFile, data); werr != nil {
			return werr
		}
		return nil
	}
	return err
}

// autoShell is what the hook runs on entering a project: a trusted project
// is entered, anything else gets at most one line.
func (c *Ctx) autoShell(cdFile string, root bool, env []string) error {
	if c.Env["SBX_MACHINE"] != "" || c.insideMachine() != "" {
		return nil // never enter a machine from inside one
	}
	p, _, err := c.currentProject()
	if err != nil {
		return err
	}
	store, st, err := c.checkTrust(p.File)
	if err != nil {
		return err
	}
	switch st {
	case trust.Denied:
		return nil
	case trust.Unknown, trust.Changed:
		what := "is not trusted"
		if st == trust.Changed {
			what = "changed since you allowed it"
		}
		fmt.Fprintf(c.IO.Err, "sbx: %s %s; review it, then run: sbx allow\n", safetext.Escape(p.File.Path), what)
		if cdFile != "" {
			// Without a marker the hook must not wait: it would call sbx
			// again at every prompt.
			if m, err := markPending(store, p.File.Path); err == nil {
				return c.writeFile(cdFile, []byte("wait:"+m))
			}
		}
		return nil
	}
	if !autoEnterEnabled(c.Env) {
		// The same text as the hook prints for SBX_AUTO_ENTER=0.
		fmt.Fprintf(c.IO.Err, "sbx: auto-entry is off; to enter %s run: sbx shell\n", safetext.Escape(p.File.Root))
		return nil
	}
	return c.shell(cdFile, root, env)
}

// hostShell replaces sbx with the user's shell on the host, in the
// directory sbx works in, with sbx's environment.
func (c *Ctx) hostShell() error {
	sh := c.Env["SHELL"]
	if !filepath.IsAbs(sh) {
		sh = "/bin/sh"
	}
	fmt.Fprintf(c.IO.Err, "sbx: no .sandbox here or above; this is your normal shell on the host\n")
	return execIn(c.Dir, sh, []string{"-" + filepath.Base(sh)}, c.Env.list())
}

// writeFile writes data to the hook's file path (0600), relative to the
// directory sbx works in.
func (c *Ctx) writeFile(path string, data []byte) error {
	abs, err := c.abs(path)
	if err != nil {
		return err
	}
	return os.WriteFile(abs, data, 0o600)
}
