package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func listCmd() *Command {
	return &Command{
		Name: "list", Group: "Machines", Short: "list sbx machines",
		Run: func(c *Ctx, args []string) error { return errors.New("list: not implemented yet") },
	}
}
