package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func createCmd() *Command {
	return &Command{
		Name: "create", Group: "Project", Short: "build the project's machine",
		Run: func(c *Ctx, args []string) error { return errors.New("create: not implemented yet") },
	}
}
