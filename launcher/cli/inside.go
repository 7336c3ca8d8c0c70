package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// guestAgentConf exists in every machine sbx made, and on no host.
const guestAgentConf = "/etc/sbx/agent.conf"

// insideMachine names the machine sbx runs in, or "" on the host. The
// agent's configuration is the mark: a shell reached without sbx run
// (machinectl shell) has no SBX_MACHINE, but is inside all the same.
func (c *Ctx) insideMachine() string {
	if _, err := os.Stat(guestAgentConf); err != nil {
		return ""
	}
	if n := c.Env["SBX_MACHINE"]; n != "" {
		return n
	}
	if n, err := os.Hostname(); err == nil && n != "" {
		return n
	}
	return "this machine"
}

// runHere is sbx run inside a machine: the command runs right here, with
// its own exit status and streams (sbx is replaced by it), so a Makefile or
// an editor task calling sbx run works on both sides.
func (c *Ctx) runHere(machine string, argv, extraEnv []string, root bool) error {
	if root && os.Geteuid() != 0 {
		return WithHint(fmt.Errorf("you are in machine %s already, as yourself", printable(machine)), "run it with sudo: sudo %s", printable(shellJoin(argv)))
	}
	env := Env{}
	for k, v := range c.Env {
		env[k] = v
	}
	for _, kv := range extraEnv {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, " \t\n") {
			return Usagef("-e %q: want KEY=VALUE, or KEY to pass the current value", kv)
		}
		if ok {
			env[k] = v
		}
	}
	name := argv[0]
	if strings.Contains(name, "/") {
		// ./script is found where sbx works (-C), not where it started.
		if abs, err := c.abs(name); err == nil {
			name = abs
		}
	}
	exe, err := lookPathIn(name, env["PATH"])
	if err != nil {
		fmt.Fprintf(c.IO.Err, "sbx: %s: command not found\n", printable(argv[0]))
		return &ExitError{Code: ExitNotFound}
	}
	err = execIn(c.Dir, exe, argv, env.list())
	fmt.Fprintf(c.IO.Err, "sbx: %s: %v\n", printable(argv[0]), err)
	if errors.Is(err, syscall.ENOENT) {
		return &ExitError{Code: ExitNotFound}
	}
	return &ExitError{Code: ExitNotRunnable}
}

// lookPathIn is exec.LookPath with an explicit PATH.
func lookPathIn(name, path string) (string, error) {
	if strings.Contains(name, "/") {
		return exec.LookPath(name)
	}
	old, had := os.LookupEnv("PATH")
	os.Setenv("PATH", path) // best effort; sbx is about to exec
	defer func() {
		if had {
			os.Setenv("PATH", old)
		}
	}()
	return exec.LookPath(name)
}

// alreadyInside is sbx shell typed inside a machine.
func alreadyInside(machine string) error {
	return WithHint(fmt.Errorf("you are already in machine %s", printable(machine)),
		"this shell runs inside it; 'exit' returns to the host")
}

// printable escapes control characters (C0, C1) and bidi controls in text
// that came from somewhere else (a machine name, a command line).
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0),
			r >= 0x200e && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
			r == 0xfffd:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
