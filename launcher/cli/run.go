package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func runCmd() *Command {
	return &Command{
		Name: "run", Group: "Project", Short: "run a command in the project's machine",
		Run: func(c *Ctx, args []string) error { return errors.New("run: not implemented yet") },
	}
}
