package cli

import (
	"flag"

	"github.com/sbxdev/sbx/launcher/agent"
)

// agentCmd is the agent inside a machine: sbx-agent.service in the guest
// runs `sbx __agent` with the socket sbx-agent.socket passes.
func agentCmd() *Command {
	var listen, config string
	return &Command{
		Name: "__agent", Hidden: true, Group: "Internal", Args: "[--listen PATH] [--config FILE]",
		Short: "run the in-machine agent that executes sbx run and sbx shell",
		Long: `Runs inside a machine as root, started by systemd socket activation
(sbx-agent.socket). It accepts commands from the machine's owner and root
on its socket and runs each as the connecting user.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&listen, "listen", "", "listen on this socket path instead of the socket systemd passes")
			fs.StringVar(&config, "config", agent.DefaultConfigPath, "agent configuration (owner_uid=N)")
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 {
				return Usagef("__agent takes no arguments")
			}
			return agent.Daemon(agent.DaemonOptions{Listen: listen, ConfigPath: config, Env: c.Env, Log: c.IO.Err, SbxLink: agent.GuestSbxLink})
		},
	}
}
