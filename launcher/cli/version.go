package cli

import (
	"fmt"
	"runtime/debug"
)

// Version is set at build time with -ldflags "-X .../cli.Version=…".
var Version = ""

func versionCmd() *Command {
	return &Command{
		Name: "version", Group: "Integration", Short: "print the sbx version",
		Run: func(c *Ctx, args []string) error {
			v := Version
			if v == "" {
				v = "devel"
				if bi, ok := debug.ReadBuildInfo(); ok {
					for _, s := range bi.Settings {
						if s.Key == "vcs.revision" && len(s.Value) >= 12 {
							v = "devel-" + s.Value[:12]
						}
					}
				}
			}
			fmt.Fprintf(c.IO.Out, "sbx %s\n", v)
			return nil
		},
	}
}
