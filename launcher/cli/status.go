package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func statusCmd() *Command {
	return &Command{
		Name: "status", Group: "Machines", Short: "show a machine's state",
		Run: func(c *Ctx, args []string) error { return errors.New("status: not implemented yet") },
	}
}
