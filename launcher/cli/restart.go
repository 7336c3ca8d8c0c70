package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func restartCmd() *Command {
	return &Command{
		Name: "restart", Group: "Machines", Short: "restart a machine",
		Run: func(c *Ctx, args []string) error { return errors.New("restart: not implemented yet") },
	}
}
