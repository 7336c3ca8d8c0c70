package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func agentCmd() *Command {
	return &Command{
		Name: "__agent", Hidden: true, Group: "Internal", Short: "in-machine agent",
		Run: func(c *Ctx, args []string) error { return errors.New("__agent: not implemented yet") },
	}
}
