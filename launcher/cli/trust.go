package cli

import (
	"flag"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/sbxdev/sbx/launcher/safetext"
	"github.com/sbxdev/sbx/launcher/trust"
)

func trustCmd() *Command {
	var asJSON bool
	return &Command{
		Name: "trust", Args: "[list [--json] | status [DIR]]", Group: "Project", Short: "list trusted and denied .sandbox files",
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

'sbx trust list --json' prints an array with one object per .sandbox, with the
same fields: status, decided (RFC 3339), path and missing (true or false).

Decisions are kept in $XDG_DATA_HOME/sbx/trust (default ~/.local/share/sbx/trust),
one small file per .sandbox.`,
		Flags: func(fs *flag.FlagSet) { jsonFlag(fs, &asJSON) },
		Run: func(c *Ctx, args []string) error {
			sub := "list"
			if len(args) > 0 {
				sub, args = args[0], args[1:]
			}
			switch sub {
			case "list":
				if len(args) == 1 && args[0] == "--json" {
					asJSON, args = true, nil
				}
				if len(args) > 0 {
					return Usagef("trust list takes no arguments but --json")
				}
				return trustList(c, asJSON)
			case "status":
				if asJSON || slices.Contains(args, "--json") {
					return Usagef("--json is for trust list; trust status prints one word")
				}
				if len(args) > 1 {
					return Usagef("trust status takes at most one directory, got %d arguments", len(args))
				}
				return trustStatus(c, dirArg(args))
			}
			return Usagef("unknown trust subcommand %q; use list or status", sub)
		},
	}
}

// trustRow is one decision of sbx trust list, as text and as JSON.
type trustRow struct {
	Status  string    `json:"status"` // allowed, changed, denied
	Decided time.Time `json:"decided"`
	Path    string    `json:"path"`
	Missing bool      `json:"missing"`
}

func trustList(c *Ctx, asJSON bool) error {
	store, err := trust.Open(c.Env)
	if err != nil {
		return err
	}
	entries, err := store.List()
	if err != nil {
		return err
	}
	rows := []trustRow{}
	for _, e := range entries {
		rows = append(rows, trustRow{Status: fmt.Sprint(e.Status), Decided: e.When.UTC(), Path: e.Path, Missing: e.Missing})
	}
	if asJSON {
		return writeJSON(c.IO.Out, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(c.IO.Out, "No .sandbox allowed or denied yet; trust a project with: sbx allow")
		return nil
	}
	w := tabwriter.NewWriter(c.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "STATUS\tDECIDED\tPATH")
	for _, r := range rows {
		missing := ""
		if r.Missing {
			missing = " (missing)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s%s\n", r.Status, r.Decided.Local().Format(time.DateTime), safetext.Escape(r.Path), missing)
	}
	return w.Flush()
}

func trustStatus(c *Ctx, dir string) error {
	f, err := c.sandboxAt(dir)
	if err != nil {
		return err
	}
	_, st, err := c.checkTrust(f)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.IO.Out, st)
	if st != trust.Allowed {
		return &ExitError{Code: 1}
	}
	return nil
}
