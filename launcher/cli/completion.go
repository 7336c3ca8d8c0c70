package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func completionCmd() *Command {
	return &Command{
		Name: "completion", Group: "Integration", Short: "print shell completions",
		Run: func(c *Ctx, args []string) error { return errors.New("completion: not implemented yet") },
	}
}
