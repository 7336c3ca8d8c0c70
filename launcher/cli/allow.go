package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func allowCmd() *Command {
	return &Command{
		Name: "allow", Group: "Project", Short: "trust this project's .sandbox",
		Run: func(c *Ctx, args []string) error { return errors.New("allow: not implemented yet") },
	}
}
