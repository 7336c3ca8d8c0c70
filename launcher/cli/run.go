package cli

import (
	"errors"
	"flag"
	"fmt"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

func runCmd() *Command {
	var env multiFlag
	var root bool
	var dir string
	return &Command{
		Name: "run", Args: "[-e KEY=VAL]... [--root] [-C DIR] [--] COMMAND [ARG]...", Group: "Project",
		Short: "run a command in the project's machine",
		Long: `Runs COMMAND in the project's machine as you (same user, UID and GID), in the
same directory, and behaves as if it ran on the host: its exit status becomes
sbx's, stdout and stderr stay apart, pipes and stdin EOF work, Ctrl-C and other
signals reach it, and on a terminal it gets a terminal of its own inside the
machine that follows your window's size.

The machine is created and started first when needed (progress on stderr),
and what changed in the trusted .sandbox since the last use is applied first,
in one line: "sbx: applying .sandbox to NAME: Packages= +bc; Setup= 1 new line".

Examples:
  sbx run make -j8
  sbx run -- go test ./... | tee log
  printf 'a\nb\n' | sbx run wc -l
  sbx run --root apt-get install -y ripgrep
  sbx run -e DEBUG=1 ./server

Ctrl-Z stops the command with sbx when its input is not a terminal, and fg
continues both; on a terminal, Ctrl-Z and Ctrl-C are keys for the machine's
terminal, as through ssh, and SIGTERM or SIGHUP to sbx hang the session up.

The environment inside holds TERM, COLORTERM, LANG, LC_* and TZ from the host,
HOME, USER, SHELL and PATH of the machine, SBX_MACHINE and SBX_PROJECT, the
.sandbox's Environment= and PassEnvironment=, and -e; nothing else.

Inside a machine, sbx run COMMAND runs COMMAND right there (Makefiles and
editor tasks that call sbx run work on both sides).

Exit status: the command's own; 128+N if a signal N ended it; 127 command not
found; 126 not executable; 125 sbx itself failed (see 'sbx help exit-codes').`,
		Flags: func(fs *flag.FlagSet) {
			fs.Var(&env, "e", "set `KEY=VALUE` in the command's environment (KEY alone passes the host's value); repeatable")
			fs.BoolVar(&root, "root", false, "run as root inside the machine")
			fs.StringVar(&dir, "C", "", "run in `DIR` (and its project) instead of the current directory")
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) == 0 {
				return Usagef("no command given")
			}
			if err := c.setDir(dir); err != nil {
				return err
			}
			if m := c.insideMachine(); m != "" {
				return c.runHere(m, args, env, root)
			}
			return c.runInMachine(args, env, root, false, "")
		},
	}
}

// runOpts is one command for the project's machine.
type runOpts struct {
	Argv        []string
	Env         []string // -e flags
	Dir         string   // working directory in the machine
	DirFallback string   // used (and said on stderr) when Dir does not exist there
	Root, Login bool
	ReturnFile  string // SBX_RETURN_FILE for the hook's shell
}

// runInMachine runs argv in the machine of the project around the current
// directory, starting (and creating) the machine when its agent does not
// answer, and bringing it in line with its .sandbox first (applyOnUse).
// The fast path is two small file reads (the .sandbox and the machine's
// record), one connect and one exchange.
func (c *Ctx) runInMachine(argv []string, extraEnv []string, root, login bool, returnFile string) error {
	p, wd, err := c.currentProject()
	if err != nil {
		return err
	}
	return c.runProject(p, runOpts{Argv: argv, Env: extraEnv, Dir: wd, Root: root, Login: login, ReturnFile: returnFile})
}

// runProject runs one command in p's machine.
func (c *Ctx) runProject(p *project, o runOpts) error {
	if err := c.requireTrustInteractive(p); err != nil {
		return err
	}
	if err := c.applyOnUse(p); err != nil {
		return err
	}
	env, err := c.guestEnv(p, o.Env)
	if err != nil {
		return err
	}
	if o.ReturnFile != "" {
		env = append(env, "SBX_RETURN_FILE="+o.ReturnFile)
	}
	links := c.linkHost(p)
	defer func() { links.close() }()
	req := agent.Request{Argv: o.Argv, Env: links.apply(env, o.Env), Dir: o.Dir, DirFallback: o.DirFallback, Root: o.Root, Login: o.Login}
	stdio := agent.Stdio{In: c.IO.In, Out: c.IO.OutFile, Err: c.IO.ErrFile}
	// c's context, never cancelled by a signal: Ctrl-C is the command's.
	status, err := agent.Run(c.Context(), agentSocket(p.Name), req, stdio)
	if errors.Is(err, agent.ErrUnavailable) {
		if err := c.ensureRunning(p); err != nil {
			return err
		}
		links.close() // made before the machine ran: its directory may be new
		links = c.linkHost(p)
		req.Env = links.apply(env, o.Env)
		status, err = agent.Run(c.Context(), agentSocket(p.Name), req, stdio)
	}
	if err != nil {
		return err
	}
	if status == ExitNotFound {
		c.suggestPackage(p, o.Argv[0], req)
	}
	if status != 0 {
		return &ExitError{Code: status}
	}
	return nil
}

// ensureRunning creates p's machine if it does not exist and starts it.
func (c *Ctx) ensureRunning(p *project) error {
	return c.withBus(func(bus *machine.Bus) error { return c.ensureRunningOn(bus, p) })
}

// ensureRunningOn is ensureRunning once connected.
func (c *Ctx) ensureRunningOn(bus *machine.Bus, p *project) error {
	meta, err := nspawn.ReadMeta(p.Name)
	if err != nil || meta.State != nspawn.StateReady {
		if err := c.create(bus, p); err != nil {
			return err
		}
		if meta, err = nspawn.ReadMeta(p.Name); err != nil {
			return err
		}
	}
	if m, _ := bus.Machine(c.Context(), p.Name); m == nil {
		fmt.Fprintf(c.IO.Err, "sbx: starting machine %s\n", p.Name)
	}
	sc, cancel := c.within(startTimeout)
	defer cancel()
	return sc.start(bus, &target{Name: p.Name, Meta: meta})
}
