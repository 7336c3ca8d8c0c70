package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/sbxdev/sbx/launcher/shellhook"
)

func hookCmd() *Command {
	return &Command{
		Name: "hook", Group: "Integration", Short: "print the shell hook",
		Args: "[bash|zsh|fish]",
		Long: `Prints the hook that enters a project's machine when you cd into the
project. Add one line to your shell's startup file:

  bash  ~/.bashrc                    eval "$(sbx hook bash)"
  zsh   ~/.zshrc                     eval "$(sbx hook zsh)"
  fish  ~/.config/fish/config.fish   sbx hook fish | source

A prompt without a directory change costs the hook no process. Without
SHELL, the shell that runs sbx is used. Set SBX_AUTO_ENTER=0 to get a hint
instead of being taken into the machine.`,
		Run: func(c *Ctx, args []string) error {
			sh, err := pickShell(c, args, "hook")
			if err != nil {
				return err
			}
			fmt.Fprint(c.IO.Out, sh.Hook(c.Self))
			return nil
		},
	}
}

// pickShell takes the shell from the one argument, or else from the parent
// process (the shell running `eval "$(sbx hook)"`), or else from $SHELL.
func pickShell(c *Ctx, args []string, cmd string) (shellhook.Shell, error) {
	hint := fmt.Sprintf("name it: sbx %s %s", cmd, strings.Join(shellhook.Names(), "|"))
	switch len(args) {
	case 0:
		for _, guess := range []string{parentProcessName(), c.Env["SHELL"]} {
			if sh, err := shellhook.DetectShell(guess); err == nil && guess != "" {
				return sh, nil
			}
		}
		return nil, WithHint(fmt.Errorf("cannot tell which shell this is"), "%s", hint)
	case 1:
		sh, err := shellhook.DetectShell(args[0])
		if err != nil {
			return nil, WithHint(err, "%s", hint)
		}
		return sh, nil
	}
	return nil, Usagef("too many arguments")
}

// parentProcessName is the command name of sbx's parent, "" if unknown.
func parentProcessName() string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", os.Getppid()))
	if err != nil {
		return "" // not Linux, or no /proc: fall back to $SHELL
	}
	return strings.TrimSpace(string(b))
}
