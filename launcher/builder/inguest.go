package builder

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

// A guest runs commands as root inside a machine, contained by it: never
// a program of the machine's tree with the host's capabilities. A running
// machine is reached through its agent; a stopped one (or a tree being
// built) through a throwaway systemd-nspawn of its tree.
type guest interface {
	// run runs argv in dir (the machine's root directory when empty),
	// sending each output line to line. A non-zero exit is an *exitStatus.
	run(ctx context.Context, line func(string), dir string, argv ...string) error
	// live reports whether the machine is booted (hostname, mounts and
	// the agent can then be changed in place).
	live() bool
}

// exitStatus is a command's non-zero exit inside a machine.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// guestEnv is the environment of apply's commands.
var guestEnv = []string{"DEBIAN_FRONTEND=noninteractive", "LANG=C.UTF-8"}

// agentGuest is a running machine, reached as root through its agent.
type agentGuest struct{ name string }

func (g agentGuest) live() bool { return true }

func (g agentGuest) run(ctx context.Context, line func(string), dir string, argv ...string) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		scanLines(pr, line)
		pr.Close()
	}()
	req := agent.Request{Argv: argv, Env: append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, guestEnv...), Dir: dir, Root: true}
	status, err := agent.Run(ctx, layout.HostAgentSocket(g.name), req, agent.Stdio{Out: pw, Err: pw})
	pw.Close()
	<-done
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("running %s in machine %s: %w", argv[0], g.name, err)
	}
	if status != 0 {
		return &exitStatus{code: status}
	}
	return nil
}

// treeGuest is a machine that is not running, or a tree being built: each
// command runs in its own systemd-nspawn of the tree (not booted), with
// the project and the machine's binds.
type treeGuest struct {
	name, root string
	binds      []layout.Bind
	// aptCache, when set, is the host's package cache bound at apt's.
	aptCache string
}

func (g treeGuest) live() bool { return false }

func (g treeGuest) run(ctx context.Context, line func(string), dir string, argv ...string) error {
	nsArgs := []string{"systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--settings=no",
		"--as-pid2", "--console=pipe", "--private-users=no", "--resolv-conf=copy-host",
		"--directory=" + g.root, "--machine=" + g.name,
	}
	for _, e := range guestEnv {
		nsArgs = append(nsArgs, "--setenv="+e)
	}
	binds := g.binds
	if g.aptCache != "" {
		binds = append(binds[:len(binds):len(binds)], layout.Bind{Host: g.aptCache, Guest: "/var/cache/apt/archives"})
	}
	for _, b := range binds {
		v, err := nspawn.BindValue(b)
		if err != nil {
			return err
		}
		flag := "--bind="
		if b.ReadOnly {
			flag = "--bind-ro="
		}
		nsArgs = append(nsArgs, flag+v)
	}
	if dir != "" {
		nsArgs = append(nsArgs, "--chdir="+dir)
	}
	nsArgs = append(append(nsArgs, "--"), argv...)
	err := run(ctx, baseEnv(), line, nsArgs...)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		return &exitStatus{code: exitCode(err)}
	}
	return err
}

// scanLines sends each line of r to line, then drains r.
func scanLines(r io.Reader, line func(string)) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line(strings.TrimRight(sc.Text(), "\r"))
	}
	io.Copy(io.Discard, r) // best effort: drain an over-long line
}

// machineBinds are the binds a machine's commands see: the standard ones
// but the runtime directory (nothing runs there before boot), and the
// user's.
func machineBinds(s *Spec, user []layout.Bind) []layout.Bind {
	var out []layout.Bind
	for _, b := range layout.StandardBinds(s.Name, s.Project) {
		if b.Guest != layout.GuestRuntime {
			out = append(out, b)
		}
	}
	return append(out, user...)
}
