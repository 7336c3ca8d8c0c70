package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func initCmd() *Command {
	return &Command{
		Name: "init", Group: "Project", Short: "write a commented default .sandbox here",
		Run: func(c *Ctx, args []string) error { return errors.New("init: not implemented yet") },
	}
}
