package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func rootCmd() *Command {
	return &Command{
		Name: "__root", Hidden: true, Group: "Internal", Short: "privileged steps run by systemd",
		Run: func(c *Ctx, args []string) error { return errors.New("__root: not implemented yet") },
	}
}
