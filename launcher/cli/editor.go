package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sbxdev/sbx/launcher/editor"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

func editorCmd() *Command {
	var write, makeDefault bool
	return &Command{
		Name: "editor", Args: "vscode|jetbrains|nvim|emacs [--write [--default]] [DIR]", Group: "Integration",
		Short: "print an editor's settings for using the project's machine",
		Long: `Prints what to add to an editor so that its terminal is a shell in the
project's machine (sbx shell) and its build runs there (sbx run make):

  vscode     a terminal profile "sbx" (settings.json) and a build task
             "sbx: make" (tasks.json)
  jetbrains  the terminal's shell path, and a run configuration
  nvim       :SbxShell, :SbxRun and makeprg (Lua for init.lua)
  emacs      vterm-shell and compile-command

With --write (VS Code only), merges the profile and the task into the
project's .vscode/settings.json and .vscode/tasks.json (DIR: the project
containing DIR, default the current directory's). Every key and comment already
there is kept; an existing "sbx" profile or "sbx: make" task is replaced by the
current one. The sbx profile becomes the default terminal profile only if the
file names no other: a default you chose stays, unless you add --default. Each file is replaced atomically, and a file that is not valid
JSON with comments is refused and left as it was. Running it twice changes
nothing.

Language servers run in the machine the same way, over stdio: point the
editor's server command at 'sbx run clangd' (or gopls, ...). Paths in the
machine are the host's paths, so diagnostics open the right files. See
docs/EDITORS.md.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&write, "write", false, "merge into the project's .vscode/settings.json and tasks.json (vscode only)")
			fs.BoolVar(&makeDefault, "default", false, "with --write: make sbx the default terminal profile, replacing the one set")
		},
		Run: func(c *Ctx, args []string) error {
			pos := args // flags may come after the editor's name too (parseFlags)
			if makeDefault && !write {
				return Usagef("--default goes with --write")
			}
			if len(pos) == 0 {
				return Usagef("name the editor: %s", strings.Join(editor.Names(), ", "))
			}
			if len(pos) > 2 || (len(pos) == 2 && !write) {
				return Usagef("editor takes the editor's name, and a directory only with --write")
			}
			name := editor.Canonical(pos[0])
			if _, err := editor.Snippet(name); err != nil {
				return Usagef("%s", err)
			}
			if !write {
				s, _ := editor.Snippet(name)
				fmt.Fprint(c.IO.Out, s)
				return nil
			}
			if name != "vscode" {
				return Usagef("--write merges VS Code's files only; for %s, paste what 'sbx editor %s' prints", name, name)
			}
			dir := "."
			if len(pos) == 2 {
				dir = pos[1]
			}
			return c.writeVSCode(dir, makeDefault)
		},
	}
}

// writeVSCode merges into the .vscode directory of the project holding dir.
func (c *Ctx) writeVSCode(dir string, makeDefault bool) error {
	start, err := c.projectDir(dir)
	if err != nil {
		return err
	}
	sf, err := sandboxfile.Find(start)
	if errors.Is(err, sandboxfile.ErrNotFound) {
		return WithHint(fmt.Errorf("%s is not in a project (no .sandbox here or above)", start),
			"make it one first: sbx init %s", shellQuote(dir))
	}
	if err != nil {
		return err
	}
	results, err := editor.WriteVSCode(filepath.Dir(sf), makeDefault)
	for _, r := range results {
		switch {
		case r.Created:
			fmt.Fprintf(c.IO.Out, "created %s\n", r.Path)
		case r.Changed:
			fmt.Fprintf(c.IO.Out, "updated %s (everything else in it kept)\n", r.Path)
		default:
			fmt.Fprintf(c.IO.Out, "%s already has sbx's settings\n", r.Path)
		}
		if r.KeptDefault != "" {
			fmt.Fprintf(c.IO.Out, "Your default terminal profile stays %s. Open an sbx shell from the terminal's\n"+
				"profile menu (\"sbx\"), or make it the default: sbx editor vscode --write --default\n", strconv.Quote(r.KeptDefault))
		}
	}
	if err != nil {
		var merr *editor.MergeError
		if errors.As(err, &merr) {
			return WithHint(err, "nothing was written; fix the file, or paste by hand what 'sbx editor vscode' prints")
		}
		return err
	}
	return nil
}

// editorsTopic is `sbx help editors`.
const editorsTopic = `Editors

Terminal: make 'sbx shell' the editor's terminal (VS Code terminal profile,
JetBrains Shell path, Neovim :terminal sbx shell, Emacs vterm-shell). Started
in the project (or with -C DIR) it opens a shell in the project's machine at
the same directory; outside any project it starts your normal shell with a
one-line note, so an editor terminal never just fails.

Builds and tasks: 'sbx run make' (any command). Exit status, stdout and stderr
are the command's own, so the editor's problem matchers work, and compiler
messages name host paths: the project is bound at the same path inside.

Language servers: 'sbx run clangd', 'sbx run gopls' ... as the server command.
LSP speaks over stdin/stdout, which sbx run passes straight through; paths in
diagnostics are host paths. Install the server in the machine (Setup= in
.sandbox, or: sbx run --root apt-get install -y clangd).

Snippets: sbx editor vscode|jetbrains|nvim|emacs prints what to add;
sbx editor vscode --write merges it into .vscode/settings.json and tasks.json.
More in docs/EDITORS.md.
`
