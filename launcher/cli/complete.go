package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func completeCmd() *Command {
	return &Command{
		Name: "__complete", Hidden: true, Group: "Internal", Short: "list words for shell completion",
		Run: func(c *Ctx, args []string) error { return errors.New("__complete: not implemented yet") },
	}
}
