package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func hookCmd() *Command {
	return &Command{
		Name: "hook", Group: "Integration", Short: "print the shell hook",
		Run: func(c *Ctx, args []string) error { return errors.New("hook: not implemented yet") },
	}
}
