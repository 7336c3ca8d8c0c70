package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/provides"
	"github.com/sbxdev/sbx/launcher/safetext"
)

// suggestPackage runs only after a command exited 127: when argv[0] is
// really missing in the machine (not a 127 from inside the command, as in
// sh -c 'nosuch'), it names the Debian package that ships it and how to add
// it. Nothing of this runs on the success path.
func (c *Ctx) suggestPackage(p *project, name string, req agent.Request) {
	if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, "-") {
		return
	}
	pkgs := provides.Packages(name)
	if len(pkgs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(c.Context(), 5*time.Second)
	defer cancel()
	check := agent.Request{Argv: []string{"sh", "-c", `command -v "$1" >/dev/null 2>&1 || exit 3`, "sh", name},
		Env: req.Env, Dir: req.Dir, Root: req.Root}
	if st, err := agent.Run(ctx, agentSocket(p.Name), check, agent.Stdio{}); err != nil || st != 3 {
		return // the machine has it (or cannot tell): the 127 was the command's own
	}
	fmt.Fprint(c.IO.Err, notFoundHint(name, pkgs, p.File.Path, p.File.Root))
}

// notFoundHint is the message for a program name that Debian ships in pkgs.
func notFoundHint(name string, pkgs []string, sandbox, root string) string {
	pkg := pkgs[0]
	var b strings.Builder
	fmt.Fprintf(&b, "sbx: %s is in the Debian package %s", safetext.Escape(name), pkg)
	if len(pkgs) > 1 {
		fmt.Fprintf(&b, " (also in: %s)", strings.Join(pkgs[1:], ", "))
	}
	fmt.Fprintf(&b, ". To have it in the machine:\n")
	fmt.Fprintf(&b, "  add it to Packages= in %s, then: sbx allow %s, and run the command again\n", safetext.Escape(sandbox), safetext.Escape(shellQuote(root)))
	fmt.Fprintf(&b, "  or install it in this machine only, now: sbx run --root sh -c 'apt-get update && apt-get install -y %s'\n", pkg)
	return b.String()
}
