package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func denyCmd() *Command {
	return &Command{
		Name: "deny", Group: "Project", Short: "distrust this project's .sandbox",
		Run: func(c *Ctx, args []string) error { return errors.New("deny: not implemented yet") },
	}
}
