// Package cli is the sbx command line: the command tree, flag parsing, and the
// single place where errors become messages and exit codes.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sbxdev/sbx/launcher/hint"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/safetext"
)

// Exit codes of sbx itself. The command's own status passes through
// unchanged; these follow toolbx/podman so scripts can tell sbx's failures
// apart from the command's.
const (
	ExitOK          = 0
	ExitUsage       = 2   // bad command line
	ExitSbxFailure  = 125 // sbx could not do what was asked
	ExitNotRunnable = 126 // the command exists but cannot be executed
	ExitNotFound    = 127 // the command was not found in the machine
)

// IO carries the streams a command uses, so tests can pass their own.
type IO struct {
	In  *os.File
	Out io.Writer
	Err io.Writer
	// OutFile and ErrFile are the real files behind Out/Err when they are
	// files (sbx run passes them to the machine); nil in tests.
	OutFile *os.File
	ErrFile *os.File
}

// StdIO returns the process's own streams.
func StdIO() IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, OutFile: os.Stdout, ErrFile: os.Stderr}
}

// Env is the environment as a map, passed in rather than read deep inside.
type Env map[string]string

// OSEnv returns the process environment.
func OSEnv() Env {
	e := Env{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			e[k] = v
		}
	}
	return e
}

// Ctx is what every command gets: its context (see Context), the
// directory it works in, its environment and its streams. Helpers take c
// and no context of their own; a step with a time limit works on a copy
// (c.within).
type Ctx struct {
	Env  Env
	IO   IO
	Self string // path of the running sbx binary
	Cmd  *Command
	// Dir is where relative paths are resolved and the project is looked
	// for: -C's directory, or "" for the process's current directory.
	Dir string
	ctx context.Context
}

// Command is one sbx subcommand. One file per command registers it in
// commands().
type Command struct {
	Name   string
	Args   string // argument synopsis, e.g. "[NAME]"
	Short  string // one line, lower case, no period
	Long   string // paragraphs shown by --help
	Hidden bool   // internal commands (__agent, __root)
	Group  string // heading in the command list
	// Flags registers the command's flags (into variables the Run closure
	// shares); nil for commands without flags. Flags may come anywhere
	// before "--" (sbx rm NAME --force), except in a command that runs
	// COMMAND (see takesCommand): there parsing stops at the first operand,
	// so `sbx run ls -l` gives -l to ls.
	Flags   func(fs *flag.FlagSet)
	Run     func(c *Ctx, args []string) error
	Aliases []string
}

// UsageError is a bad command line; it prints the command's usage hint.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef builds a UsageError.
func Usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// HintError is an error with a line telling the user what to do next, for
// errors that do not carry one of their own (see launcher/hint).
type HintError struct {
	Err  error
	next string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// Hint is the next step report prints under the error.
func (e *HintError) Hint() string { return e.next }

// WithHint attaches a next-step hint to err.
func WithHint(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return &HintError{Err: err, next: fmt.Sprintf(format, a...)}
}

// notAuthorizedHint is the next step when polkit refused a machine call.
const notAuthorizedHint = "join group sbx (sudo ./install.sh --user $USER), then log in again"

// ExitError carries an exit status that is not a failure of sbx: the guest
// command's own status. It is never printed.
type ExitError struct{ Code int }

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Main runs sbx with args (without the program name) and returns the exit code.
func Main(args []string, env Env, streams IO) int {
	self, err := os.Executable()
	if err != nil {
		self = "sbx"
	}
	c := &Ctx{Env: env, IO: streams, Self: self, ctx: context.Background()}
	return c.report(dispatch(c, args))
}

func (c *Ctx) report(err error) int {
	if err == nil {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return exit.Code
	}
	// Errors name directories and quote .sandbox lines: untrusted text.
	fmt.Fprintf(c.IO.Err, "sbx: %s\n", safetext.Escape(err.Error()))
	// The one place hints are printed: the outermost one in the chain,
	// whichever error type carries it (hint.Of).
	if h := hint.Of(err); h != "" {
		fmt.Fprintf(c.IO.Err, "  %s\n", safetext.Escape(h))
	} else if errors.Is(err, machine.ErrNotAuthorized) {
		fmt.Fprintf(c.IO.Err, "  %s\n", notAuthorizedHint)
	}
	var root *rootError
	if errors.As(err, &root) && root.code > 0 {
		return root.code
	}
	var usage *UsageError
	if errors.As(err, &usage) {
		if c.Cmd != nil {
			fmt.Fprintf(c.IO.Err, "  usage: sbx %s %s (see: sbx %s --help)\n", c.Cmd.Name, c.Cmd.Args, c.Cmd.Name)
		} else {
			fmt.Fprintln(c.IO.Err, "  see: sbx --help")
		}
		return ExitUsage
	}
	return ExitSbxFailure
}

func dispatch(c *Ctx, args []string) error {
	if len(args) == 0 {
		printOverview(c.IO.Out)
		return nil
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if len(args) > 1 {
			return helpFor(c, args[1])
		}
		printOverview(c.IO.Out)
		return nil
	case "-V", "--version":
		name = "version"
	}
	cmd := lookup(name)
	if cmd == nil {
		return Usagef("unknown command %q", name)
	}
	c.Cmd = cmd
	fs := newFlagSet(cmd)
	operands, err := parseFlags(fs, args[1:], takesCommand(cmd))
	if err != nil {
		if err == flag.ErrHelp {
			printHelp(c.IO.Out, cmd)
			return nil
		}
		return Usagef("%s", err)
	}
	return cmd.Run(c, operands)
}

// takesCommand tells the commands whose operands after the first are a
// command line of their own (run's COMMAND [ARG]...), and the internal ones,
// whose callers pass words as they are.
func takesCommand(cmd *Command) bool {
	return cmd.Hidden || strings.Contains(cmd.Args, "COMMAND")
}

// parseFlags parses flags anywhere among args up to a "--" (after which
// everything is an operand) and returns the operands in order. With
// stopAtOperand, the first operand ends the flags, as with flag.Parse.
func parseFlags(fs *flag.FlagSet, args []string, stopAtOperand bool) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 || stopAtOperand {
			return append(operands, rest...), nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" && !takesValue(fs, args, n-2) {
			return append(operands, rest...), nil // Parse stopped at "--"
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
}

// takesValue tells whether args[i] is a flag whose value is the next word
// (so a "--" after it is that value, not the end of the flags).
func takesValue(fs *flag.FlagSet, args []string, i int) bool {
	if i < 0 || !strings.HasPrefix(args[i], "-") || strings.Contains(args[i], "=") {
		return false
	}
	f := fs.Lookup(strings.TrimLeft(args[i], "-"))
	if f == nil {
		return false
	}
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return !ok || !b.IsBoolFlag()
}

func lookup(name string) *Command {
	for _, cmd := range commands() {
		if cmd.Name == name {
			return cmd
		}
		for _, a := range cmd.Aliases {
			if a == name {
				return cmd
			}
		}
	}
	return nil
}

func helpFor(c *Ctx, name string) error {
	cmd := lookup(name)
	if cmd == nil {
		if topic, ok := helpTopicText[name]; ok {
			fmt.Fprint(c.IO.Out, topic)
			return nil
		}
		return Usagef("no help for %q", name)
	}
	printHelp(c.IO.Out, cmd)
	return nil
}

func newFlagSet(cmd *Command) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	return fs
}

func printHelp(w io.Writer, cmd *Command) {
	fmt.Fprintf(w, "Usage: sbx %s %s\n\n%s.\n", cmd.Name, cmd.Args, capitalize(cmd.Short))
	if cmd.Long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.Long))
	}
	if fl := flagHelp(newFlagSet(cmd)); fl != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", fl)
	}
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func printOverview(w io.Writer) {
	fmt.Fprint(w, `sbx gives every project its own Debian development machine (systemd-nspawn)
and makes using it feel like using the host: same path, same user, same network.

Usage: sbx COMMAND [ARGS]

`)
	order, groups := commandGroups()
	for _, g := range order {
		fmt.Fprintf(w, "%s:\n", g)
		for _, cmd := range groups[g] {
			fmt.Fprintf(w, "  %-12s %s\n", cmd.Name, cmd.Short)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, `Run 'sbx COMMAND --help' for details, 'sbx help exit-codes' for exit statuses.
`)
}
