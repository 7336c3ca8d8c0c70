package cli

import "fmt"

func completionCmd() *Command {
	return &Command{
		Name: "completion", Group: "Integration", Short: "print shell completions",
		Args: "[bash|zsh|fish]",
		Long: `Prints the completion script for commands, flags and machine names.
install.sh puts them in the standard places; by hand:

  bash  sbx completion bash > ~/.local/share/bash-completion/completions/sbx
  zsh   sbx completion zsh > "${fpath[1]}/_sbx"   (or: source <(sbx completion zsh))
  fish  sbx completion fish > ~/.config/fish/completions/sbx.fish

Without SHELL, the shell that runs sbx is used.`,
		Run: func(c *Ctx, args []string) error {
			sh, err := pickShell(c, args, "completion")
			if err != nil {
				return err
			}
			fmt.Fprint(c.IO.Out, sh.Completion(c.Self))
			return nil
		},
	}
}
