package cli

import (
	"flag"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/shellhook"
)

// Directives `__complete args` prints instead of words when the shell must
// complete by itself.
const (
	dirCommand = ":command" // a program name
	dirAfter   = ":after"   // ":after K": the program is the K-th word after CMD (0-based); complete as its own line from there
	dirDirs    = ":dirs"
	dirFiles   = ":files"
)

// completeCmd is the hidden helper the completion scripts call, so that the
// scripts hold no list of commands or flags that could go stale.
func completeCmd() *Command {
	return &Command{
		Name: "__complete", Hidden: true, Group: "Internal", Short: "list words for shell completion",
		Args: "commands | flags [CMD] | args CMD [WORD]... | machines | shells",
		Long: `Prints one candidate a line, "WORD<TAB>DESCRIPTION" where there is one:
  commands             the visible commands
  flags [CMD]          the flags of CMD (of sbx itself without CMD)
  args CMD [WORD]...   candidates for the next argument of CMD, given the
                       WORDs typed after it; or one directive line for the
                       shell: :command (a program name), ":after K" (the
                       program is WORD K, counting from 0: complete from
                       there as a command line of its own), :dirs, :files
  machines             the names of sbx machines on this host
  shells               the shells sbx has hooks and completions for`,
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
		return writeArgCompletions(w, args[0], args[1:])
	case "machines":
		return writeMachines(w)
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

// writeArgCompletions reads what the next argument of a command is from its
// synopsis (Args), so a command says it once, in its own file: literal
// lower-case words (trust's list, status) come first, then NAME is a
// machine, SHELL or bash|zsh|fish a shell, DIR a directory, FILE or PATH a
// file, COMMAND a program and its arguments.
func writeArgCompletions(w io.Writer, name string, typed []string) error {
	if name == "help" {
		if len(typed) == 0 {
			return writeCompletions(w, "commands", nil)
		}
		return nil
	}
	cmd := lookup(name)
	if cmd == nil {
		return nil
	}
	fs := newFlagSet(cmd)
	if err := fs.Parse(typed); err != nil {
		// The last word is a flag waiting for its value.
		fmt.Fprintln(w, dirFiles)
		return nil
	}
	pos := fs.Args()
	syn := positionalSynopsis(cmd.Args)
	if strings.Contains(syn, "COMMAND") {
		if len(pos) == 0 {
			fmt.Fprintln(w, dirCommand)
		} else {
			fmt.Fprintf(w, "%s %d\n", dirAfter, len(typed)-len(pos))
		}
		return nil
	}
	words := strings.FieldsFunc(syn, func(r rune) bool { return strings.ContainsRune(" []|.", r) })
	var literals []string
	for _, word := range words {
		if word == strings.ToLower(word) {
			literals = append(literals, word)
		}
	}
	switch {
	case len(pos) == 0 && len(literals) > 0:
		for _, l := range literals {
			fmt.Fprintln(w, l)
		}
	case len(pos) == 0 && strings.Contains(syn, "NAME"):
		return writeMachines(w)
	case len(pos) == 0 && strings.Contains(syn, "SHELL"):
		return writeCompletions(w, "shells", nil)
	case strings.Contains(syn, "DIR"):
		fmt.Fprintln(w, dirDirs)
	case strings.Contains(syn, "FILE"), strings.Contains(syn, "PATH"):
		fmt.Fprintln(w, dirFiles)
	}
	return nil
}

// flagGroup matches the flag parts of a synopsis: "[-C DIR]", "[--root]",
// "[-e KEY=VAL]...", "[--]".
var flagGroup = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\[--?[^\[\]]*\](\.\.\.)?`) })

// positionalSynopsis is a command's synopsis without its flags.
func positionalSynopsis(args string) string {
	return flagGroup().ReplaceAllString(args, "")
}

// writeMachines lists the machines from their settings files, not over
// D-Bus, so a TAB never waits on the system bus.
func writeMachines(w io.Writer) error {
	names, err := nspawn.List()
	if err != nil {
		return fmt.Errorf("listing machines in %s: %w", nspawn.Dir, err)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintln(w, n)
	}
	return nil
}
