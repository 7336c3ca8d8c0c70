package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func trustCmd() *Command {
	return &Command{
		Name: "trust", Group: "Project", Short: "list trusted and denied .sandbox files",
		Run: func(c *Ctx, args []string) error { return errors.New("trust: not implemented yet") },
	}
}
