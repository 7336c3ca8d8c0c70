package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func startCmd() *Command {
	return &Command{
		Name: "start", Group: "Machines", Short: "start a machine",
		Run: func(c *Ctx, args []string) error { return errors.New("start: not implemented yet") },
	}
}
