package cli

import (
	"fmt"
	"sort"
	"strings"
)

// passedByDefault are host variables a command expects to see as on the
// host; nothing else from the host leaks in unless asked for.
var passedByDefault = []string{"TERM", "COLORTERM", "LANG", "LANGUAGE", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TZ"}

// guestEnv builds the environment of a command in p's machine: defaults,
// then [Exec] Environment=, PassEnvironment=, then -e flags.
func (c *Ctx) guestEnv(p *project, extra []string) ([]string, error) {
	env := Env{}
	for _, k := range passedByDefault {
		if v, ok := c.Env[k]; ok {
			env[k] = v
		}
	}
	for k, v := range c.Env {
		if strings.HasPrefix(k, "LC_") {
			env[k] = v
		}
	}
	for _, kv := range p.File.Exec.Environment {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, k := range p.File.Exec.PassEnvironment {
		if v, ok := c.Env[k]; ok {
			env[k] = v
		}
	}
	for _, kv := range extra {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" || strings.ContainsAny(k, " \t\n") {
			return nil, Usagef("-e %q: want KEY=VALUE, or KEY to pass the host's value", kv)
		}
		if !ok {
			v, ok = c.Env[k]
			if !ok {
				continue
			}
		}
		env[k] = v
	}
	env["SBX_MACHINE"] = p.Name
	env["SBX_PROJECT"] = p.File.Root
	return env.list(), nil
}

// list is e as sorted KEY=VALUE strings, an environment for exec.
func (e Env) list() []string {
	out := make([]string, 0, len(e))
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
