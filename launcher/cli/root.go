package cli

import (
	"io"

	"github.com/sbxdev/sbx/launcher/builder"
)

func rootCmd() *Command {
	return &Command{
		Name: "__root", Hidden: true, Group: "Internal", Short: "privileged steps, run by systemd as root",
		Args: builder.RootOps() + " ARG",
		Run: func(c *Ctx, args []string) error {
			var in io.Reader
			if c.IO.In != nil {
				in = c.IO.In
			}
			logw := builder.OpenJournal()
			if logw == nil {
				logw = c.IO.Err
			}
			if code := builder.RootMain(args, in, c.IO.Out, logw); code != 0 {
				return &ExitError{Code: code}
			}
			return nil
		},
	}
}
