package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/sbxdev/sbx/launcher/bridge"
	"github.com/sbxdev/sbx/launcher/safetext"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
	"github.com/sbxdev/sbx/launcher/trust"
)

func allowCmd() *Command {
	return &Command{
		Name: "allow", Args: "[DIR]", Group: "Project", Short: "trust this project's .sandbox",
		Long: `Trusts the .sandbox of the project around DIR (default: the current directory;
the nearest .sandbox in DIR or a parent is used). Until a .sandbox is trusted, sbx
creates, starts and runs nothing for it, and the shell hook only prints a notice:
a .sandbox decides what runs as root in the new machine (Setup=) and which of
your files are bound into it (Bind=), so a repository you just cloned must not
decide that on its own.

Trust is bound to the file's real path and the sha256 of its exact content:
editing one byte (or a git pull that changes it) makes it untrusted again, and a
copy of the file in another directory is not trusted. Run 'sbx allow' again after
reviewing the change.

allow refuses a file that does not parse (the error names file:line), a file
owned by another user or writable by group or others (fix with chmod go-w), and a
.sandbox in a directory that cannot be a project root. When the output is a
terminal, the file is shown before it is trusted. 'sbx allow' also lifts a
'sbx deny'. See also: sbx deny, sbx trust list, sbx trust status.`,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 1 {
				return Usagef("allow takes at most one directory, got %d arguments", len(args))
			}
			return runAllow(c, dirArg(args))
		},
	}
}

func runAllow(c *Ctx, dir string) error {
	f, err := c.sandboxAt(dir)
	if err != nil {
		return err
	}
	if err := sandboxfile.CheckRoot(f.Root, c.home()); err != nil {
		return err
	}
	if err := checkOwner(f.Path); err != nil {
		return err
	}
	store, before, err := c.checkTrust(f)
	if err != nil {
		return err
	}
	out := c.IO.Out
	if bridge.IsTerminal(c.IO.OutFile) {
		showFile(out, f)
	}
	if err := store.Allow(f); err != nil {
		return err
	}
	fmt.Fprintf(out, "Allowed %s (sha256 %s)", safetext.Escape(f.Path), f.Hash[:12])
	switch before {
	case trust.Denied:
		fmt.Fprint(out, ", lifting its deny")
	case trust.Changed:
		fmt.Fprint(out, ", replacing the trust of its earlier content")
	case trust.Allowed:
		fmt.Fprint(out, ", already allowed")
	}
	fmt.Fprintln(out, ".")
	summarize(out, f)
	fmt.Fprintln(out, howToEnter(c, store, f))
	return nil
}

// howToEnter is allow's last line: a shell hook waiting on this file
// enters at the next prompt; otherwise it says what to run.
func howToEnter(c *Ctx, store trust.Store, f *sandboxfile.File) string {
	if clearPending(store, f.Path) && autoEnterEnabled(c.Env) {
		return "Your shell enters the machine at its next prompt (the sbx hook is waiting)."
	}
	return "Enter it with: sbx shell (or, with the sbx hook, cd out of the project and back)."
}

// summarize says what the trusted file will make sbx do.
func summarize(w io.Writer, f *sandboxfile.File) {
	m := f.Machine
	fmt.Fprintf(w, "  machine  %s: %s %s from %s\n", m.Name, m.Distribution, m.Release, safetext.Escape(m.Mirror))
	if len(m.Packages) > 0 {
		fmt.Fprintf(w, "  packages %s\n", safetext.Escape(strings.Join(m.Packages, " ")))
	}
	for _, argv := range f.Exec.Setup {
		fmt.Fprintf(w, "  setup    %s  (as root, when the machine is created)\n", safetext.Escape(shellJoin(argv)))
	}
	for _, b := range f.Files.Binds {
		mode := "read-write"
		if b.ReadOnly {
			mode = "read-only"
		}
		target := ""
		if b.Guest != b.Host {
			target = " at " + b.Guest
		}
		fmt.Fprintf(w, "  bind     %s%s, %s\n", safetext.Escape(b.Host), safetext.Escape(target), mode)
	}
	if f.Network.Private {
		fmt.Fprintln(w, "  network  private")
	}
}

// showFile prints the file being trusted, so a terminal user sees what they
// agree to.
func showFile(w io.Writer, f *sandboxfile.File) {
	fmt.Fprintf(w, "── %s ──\n", safetext.Escape(f.Path))
	data := safetext.EscapeLines(string(f.Data))
	fmt.Fprint(w, data)
	if data != "" && !strings.HasSuffix(data, "\n") {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "──")
}

// dirArg is the directory the trust commands start from.
func dirArg(args []string) string {
	if len(args) == 1 {
		return args[0]
	}
	return "."
}
