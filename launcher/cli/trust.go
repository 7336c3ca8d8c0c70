package cli

import (
	"fmt"
	"github.com/sbxdev/sbx/launcher/safetext"
	"text/tabwriter"
	"time"

	"github.com/sbxdev/sbx/launcher/trust"
)

func trustCmd() *Command {
	return &Command{
		Name: "trust", Args: "[list | status [DIR]]", Group: "Project", Short: "list trusted and denied .sandbox files",
		Long: `'sbx trust list' (or just 'sbx trust') shows every .sandbox you have allowed or
denied: its status, when you decided, and its path. Status is one of
  allowed    trusted with exactly its current content
  changed    allowed once, but the file has changed since: review, then sbx allow
  denied     sbx deny was used; wins over any allow
and "(missing)" follows a path whose file no longer exists.

'sbx trust status [DIR]' prints one word for the project around DIR (default: the
current directory): allowed, changed, denied or untrusted (never decided). Its
exit status is 0 for allowed and 1 for anything else, so scripts can write
  if sbx trust status >/dev/null; then sbx run make; fi
A missing or malformed .sandbox is an error (exit 125, the message names
file:line). status reports the decision only; 'sbx run' and 'sbx allow' also
refuse a file that other users can write.

Decisions are kept in $XDG_DATA_HOME/sbx/trust (default ~/.local/share/sbx/trust),
one small file per .sandbox.`,
		Run: func(c *Ctx, args []string) error {
			sub := "list"
			if len(args) > 0 {
				sub, args = args[0], args[1:]
			}
			switch sub {
			case "list":
				if len(args) > 0 {
					return Usagef("trust list takes no arguments")
				}
				return trustList(c)
			case "status":
				if len(args) > 1 {
					return Usagef("trust status takes at most one directory, got %d arguments", len(args))
				}
				return trustStatus(c, dirArg(args))
			}
			return Usagef("unknown trust subcommand %q; use list or status", sub)
		},
	}
}

func trustList(c *Ctx) error {
	store, err := trust.Open(c.Env)
	if err != nil {
		return err
	}
	entries, err := store.List()
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		fmt.Fprintln(c.IO.Out, "No .sandbox allowed or denied yet; trust a project with: sbx allow")
		return nil
	}
	w := tabwriter.NewWriter(c.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tDECIDED\tPATH")
	for _, e := range entries {
		missing := ""
		if e.Missing {
			missing = " (missing)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s%s\n", e.Status, e.When.Local().Format(time.DateTime), safetext.Escape(e.Path), missing)
	}
	return w.Flush()
}

func trustStatus(c *Ctx, dir string) error {
	path, err := findSandbox(dir)
	if err != nil {
		return err
	}
	f, err := loadSandbox(c, path)
	if err != nil {
		return err
	}
	store, err := trust.Open(c.Env)
	if err != nil {
		return err
	}
	st, err := store.Check(f)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.IO.Out, st)
	if st != trust.Allowed {
		return &ExitError{Code: 1}
	}
	return nil
}
