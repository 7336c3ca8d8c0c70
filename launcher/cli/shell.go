package cli

import "errors"

// TODO(owner): placeholder so the tree builds; replaced by the real command.
func shellCmd() *Command {
	return &Command{
		Name: "shell", Group: "Project", Short: "open a shell in the project's machine",
		Run: func(c *Ctx, args []string) error { return errors.New("shell: not implemented yet") },
	}
}
