package cli

import "github.com/sbxdev/sbx/launcher/builder"

func rootCmd() *Command {
	return &Command{
		Name: "__root", Hidden: true, Group: "Internal", Short: "privileged steps, run by systemd as root",
		Args: "create|rm|du|snapshot|restore|snapshot-rm|export|import ARG",
		Run: func(c *Ctx, args []string) error {
			if code := builder.RootMain(args, c.IO.Out); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
}
