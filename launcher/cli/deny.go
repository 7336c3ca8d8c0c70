package cli

import (
	"fmt"

	"github.com/sbxdev/sbx/launcher/safetext"
	"github.com/sbxdev/sbx/launcher/trust"
)

func denyCmd() *Command {
	return &Command{
		Name: "deny", Args: "[DIR]", Group: "Project", Short: "distrust this project's .sandbox",
		Long: `Records that the .sandbox of the project around DIR (default: the current
directory) must not be acted on: sbx will not create, start or enter its machine,
and the shell hook stays quiet about it. A deny is bound to the file's real path,
not its content, so it survives edits, and it wins over an earlier allow. The file
does not need to parse. A machine that already exists is left as it is (stop it
with 'sbx stop', remove it with 'sbx rm').

Undo with 'sbx allow'. See the decisions with 'sbx trust list'.`,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 1 {
				return Usagef("deny takes at most one directory, got %d arguments", len(args))
			}
			path, err := c.findSandbox(dirArg(args))
			if err != nil {
				return err
			}
			real, err := trust.RealPath(path)
			if err != nil {
				return err
			}
			store, err := trust.Open(c.Env)
			if err != nil {
				return err
			}
			if err := store.Deny(real); err != nil {
				return err
			}
			fmt.Fprintf(c.IO.Out, "Denied %s: sbx will not create, start or enter its machine.\n", safetext.Escape(real))
			fmt.Fprintf(c.IO.Out, "To undo: sbx allow %s\n", safetext.Escape(shellQuote(dirArg(args))))
			return nil
		},
	}
}
