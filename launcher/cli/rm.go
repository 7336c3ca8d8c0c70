package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func rmCmd() *Command {
	return &Command{
		Name: "rm", Group: "Machines", Short: "remove a machine",
		Run: func(c *Ctx, args []string) error { return errors.New("rm: not implemented yet") },
	}
}
