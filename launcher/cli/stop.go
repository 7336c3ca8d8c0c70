package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func stopCmd() *Command {
	return &Command{
		Name: "stop", Group: "Machines", Short: "stop a machine",
		Run: func(c *Ctx, args []string) error { return errors.New("stop: not implemented yet") },
	}
}
