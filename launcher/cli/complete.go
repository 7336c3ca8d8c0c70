package cli

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/sbxdev/sbx/launcher/shellhook"
)

// nspawnDir holds the machines' settings files; `__complete machines` reads
// names from it without D-Bus so a TAB never waits on the system bus.
const nspawnDir = "/etc/systemd/nspawn"

// What a command's positional arguments are, as `__complete args CMD` says
// it to the completion scripts.
const (
	argMachines = "machines" // machine names
	argShells   = "shells"   // bash, zsh, fish
	argCommands = "commands" // sbx commands (sbx help CMD)
	argCommand  = "command"  // a program and its arguments (sbx run CMD ...)
	argDirs     = "dirs"
	argFiles    = "files"
	argNone     = "none"
)

// completeCmd is the hidden helper the completion scripts call, so that the
// scripts hold no list of commands or flags that could go stale.
func completeCmd() *Command {
	return &Command{
		Name: "__complete", Hidden: true, Group: "Internal", Short: "list words for shell completion",
		Args: "commands | flags [CMD] | args CMD | machines | shells",
		Long: `Prints one candidate a line, "WORD<TAB>DESCRIPTION" where there is one:
  commands      the visible commands
  flags [CMD]   the flags of CMD (of sbx itself without CMD)
  args CMD      what CMD's arguments are: machines, shells, commands,
                command (a program and its arguments), dirs, files or none
  machines      the names of sbx machines on this host
  shells        the shells sbx has hooks and completions for`,
		Run: func(c *Ctx, args []string) error {
			if len(args) == 0 {
				return Usagef("say what to list")
			}
			return writeCompletions(c.IO.Out, args[0], args[1:])
		},
	}
}

func writeCompletions(w io.Writer, what string, args []string) error {
	switch what {
	case "commands":
		for _, cmd := range commands() {
			if !cmd.Hidden {
				fmt.Fprintf(w, "%s\t%s\n", cmd.Name, cmd.Short)
			}
		}
	case "flags":
		if len(args) == 0 || args[0] == "" {
			fmt.Fprint(w, "--help\tshow help\n--version\tshow the version\n")
			return nil
		}
		cmd := lookup(args[0])
		if cmd == nil {
			return nil // nothing to offer for an unknown command
		}
		for _, f := range commandFlags(cmd) {
			fmt.Fprintf(w, "%s\t%s\n", f.name, f.usage)
		}
	case "args":
		if len(args) == 0 {
			return Usagef("args needs a command name")
		}
		fmt.Fprintln(w, argKind(args[0]))
	case "machines":
		names, err := machineNames(nspawnDir)
		if err != nil {
			return err
		}
		for _, n := range names {
			fmt.Fprintln(w, n)
		}
	case "shells":
		for _, n := range shellhook.Names() {
			fmt.Fprintln(w, n)
		}
	default:
		return Usagef("cannot list %q", what)
	}
	return nil
}

type flagWord struct{ name, usage string }

// commandFlags lists cmd's flags as typed (-x, --long) plus --help.
func commandFlags(cmd *Command) []flagWord {
	var out []flagWord
	newFlagSet(cmd).VisitAll(func(f *flag.Flag) {
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		_, usage := flag.UnquoteUsage(f)
		out = append(out, flagWord{dash + f.Name, firstLine(usage)})
	})
	return append(out, flagWord{"--help", "show help"})
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// argKind reads what a command's arguments are from its synopsis (Args),
// so a command says it once, in its own file.
func argKind(name string) string {
	if name == "help" {
		return argCommands
	}
	cmd := lookup(name)
	if cmd == nil {
		return argNone
	}
	a := cmd.Args
	switch {
	case strings.Contains(a, "COMMAND"):
		return argCommand
	case strings.Contains(a, "NAME"):
		return argMachines
	case strings.Contains(a, "SHELL"), strings.Contains(a, "bash|zsh|fish"):
		return argShells
	case strings.Contains(a, "DIR"):
		return argDirs
	case strings.Contains(a, "FILE"), strings.Contains(a, "PATH"):
		return argFiles
	}
	return argNone
}

// machineNames returns the machines whose settings file in dir sbx wrote:
// its first line is "# Managed by sbx" (or an "# sbx-…=" metadata line).
// A missing dir means no machines.
func machineNames(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.nspawn"))
	if err != nil {
		return nil, fmt.Errorf("listing machines in %s: %w", dir, err)
	}
	var names []string
	for _, p := range paths {
		if managedBySbx(p) {
			names = append(names, strings.TrimSuffix(filepath.Base(p), ".nspawn"))
		}
	}
	sort.Strings(names)
	return names, nil
}

func managedBySbx(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false // unreadable: not one we can complete
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n') // best effort: a short file is judged by what it has
	line = strings.TrimSpace(line)
	return strings.HasPrefix(line, "# Managed by sbx") || strings.HasPrefix(line, "# sbx-")
}
