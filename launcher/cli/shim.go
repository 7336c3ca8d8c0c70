package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

func shimCmd() *Command {
	var dir string
	var list, rm, jsonOut, force, desktop bool
	return &Command{
		Name: "shim", Args: "[--dir DIR] NAME... | --desktop APP... | --list | --rm NAME...", Group: "Integration",
		Short: "put commands of the project's machine on the host's PATH",
		Long: `Writes a small script ~/.local/bin/NAME (or DIR/NAME) that runs the command NAME
in this project's machine from anywhere, like sbx run: arguments, stdin,
stdout and stderr, the terminal and the exit status pass through.

The command runs in the current directory when that exists in the machine
(the project, a Bind= path, or any path of the machine's own tree), else in
the project's root, which it says once on stderr.

Examples:
  sbx run --root apt-get install -y bc && sbx shim bc
  echo 2+3 | bc                 # from any directory on the host
  sbx shim --list
  sbx shim --rm bc

--desktop APP makes a desktop entry on the host for the machine's
/usr/share/applications/APP.desktop (in ~/.local/share/applications); it
needs Display=yes in the .sandbox's [Host]. Remove it with --rm APP.desktop.

Shims are remembered per machine ($XDG_DATA_HOME/sbx/shims); sbx rm of the
machine removes them.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&dir, "dir", "", "write the shims into `DIR` instead of ~/.local/bin")
			fs.BoolVar(&list, "list", false, "list the shims of every machine")
			fs.BoolVar(&rm, "rm", false, "remove the shims of the COMMANDs named")
			fs.BoolVar(&jsonOut, "json", false, "with --list: print JSON")
			fs.BoolVar(&force, "force", false, "replace a file at the shim's place that sbx did not write")
			fs.BoolVar(&desktop, "desktop", false, "make host desktop entries for the machine's APP.desktop files")
		},
		Run: func(c *Ctx, args []string) error {
			if m := c.insideMachine(); m != "" {
				return WithHint(fmt.Errorf("you are in machine %s: shims are made on the host", printable(m)), "run sbx shim in a host shell, in the project")
			}
			switch {
			case list:
				if len(args) > 0 {
					return Usagef("--list takes no arguments")
				}
				return c.listShims(jsonOut)
			case len(args) == 0:
				return Usagef("name the command(s) to shim, e.g. sbx shim make")
			case rm:
				return c.rmShims(args)
			case desktop:
				return c.writeDesktopShims(args)
			}
			return c.writeShims(args, dir, force)
		},
	}
}

// shimMark is the second line of every shim: how sbx knows a file is its
// own before it replaces or removes it.
const shimMark = "# sbx shim:"

// shimName reports whether n can be a shim's file name and a command.
func shimName(n string) bool {
	if n == "" || n[0] == '.' || n[0] == '-' || n[0] == '+' {
		return false
	}
	return strings.Trim(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-") == ""
}

// shim is one recorded shim.
type shim struct {
	Command string `json:"command"`
	Path    string `json:"path"`
	Machine string `json:"machine"`
	Project string `json:"project"`
}

func (c *Ctx) writeShims(names []string, dir string, force bool) error {
	p, _, err := c.currentProject()
	if err != nil {
		return err
	}
	if dir == "" {
		dir = filepath.Join(c.home(), ".local", "bin")
	}
	if dir, err = c.abs(dir); err != nil {
		return err
	}
	err = c.installShims(p, dir, names, func(n string) (shimFile, error) {
		if !shimName(n) {
			return shimFile{}, Usagef("%q is not a command name (letters, digits, . _ + -; no /)", printable(n))
		}
		path := filepath.Join(dir, n)
		return shimFile{Command: n, Path: path, Content: shimScript(c.Self, p, n), Mode: 0o755, Replace: force,
			Taken: "remove it, or add --force to replace it", Said: fmt.Sprintf("%s runs %s in machine %s", path, n, p.Name)}, nil
	})
	if err != nil {
		return err
	}
	if !onPath(c.Env["PATH"], dir) {
		fmt.Fprintf(c.IO.Err, "sbx: %s is not on your PATH; add it, e.g. in ~/.profile: PATH=\"%s:$PATH\"\n", dir, dir)
	}
	return nil
}

// shimFile is one file a shim command writes.
type shimFile struct {
	Command, Path, Content string // Command: as recorded (NAME, APP.desktop)
	Mode                   os.FileMode
	Replace                bool   // replace a file sbx did not write (--force)
	Taken                  string // the hint when a file sbx did not write is in the way
	Said                   string // the line that says what it does
}

// installShims writes into dir the file that file(name) makes for each of
// names (each complete or not at all) and records them for p's machine,
// so sbx rm removes them.
func (c *Ctx) installShims(p *project, dir string, names []string, file func(name string) (shimFile, error)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	recs, err := c.loadShims(p.Name)
	if err != nil {
		return err
	}
	for _, n := range names {
		f, err := file(n)
		if err != nil {
			return err
		}
		if !f.Replace && existsNotShim(f.Path) {
			return WithHint(fmt.Errorf("%s exists and is not an sbx shim", f.Path), "%s", f.Taken)
		}
		tmp := f.Path + ".sbx-tmp"
		if err := os.WriteFile(tmp, []byte(f.Content), f.Mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		if err := os.Rename(tmp, f.Path); err != nil {
			os.Remove(tmp) // best effort
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		recs = withShim(recs, shim{Command: f.Command, Path: f.Path, Machine: p.Name, Project: p.File.Root})
		fmt.Fprintf(c.IO.Err, "sbx: %s\n", f.Said)
	}
	return c.saveShims(p.Name, recs)
}

// shimScript is the file a shim is: sbx __shim with the project's root.
func shimScript(self string, p *project, name string) string {
	return fmt.Sprintf("#!/bin/sh\n%s runs %s in machine %s (project %s); remove with: sbx shim --rm %s\nexec %s __shim %s %s \"$@\"\n",
		shimMark, name, p.Name, strings.ReplaceAll(p.File.Root, "\n", " "), name,
		shellQuote(self), shellQuote(p.File.Root), shellQuote(name))
}

// existsNotShim reports whether path holds something sbx did not write.
func existsNotShim(path string) bool {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	return err != nil || !isShim(data)
}

func isShim(data []byte) bool {
	_, rest, _ := strings.Cut(string(data), "\n")
	return strings.HasPrefix(rest, shimMark)
}

func withShim(recs []shim, s shim) []shim {
	out := recs[:0]
	for _, r := range recs {
		if r.Path != s.Path {
			out = append(out, r)
		}
	}
	return append(out, s)
}

func onPath(path, dir string) bool {
	for _, d := range filepath.SplitList(path) {
		if filepath.Clean(d) == dir {
			return true
		}
	}
	return false
}

// rmShims removes the named shims: the current project's when in one,
// else any machine's of that name.
func (c *Ctx) rmShims(names []string) error {
	machine := ""
	if p, _, err := c.currentProject(); err == nil {
		machine = p.Name
	}
	all, err := c.allShims()
	if err != nil {
		return err
	}
	for _, n := range names {
		found := false
		for _, s := range all {
			if s.Command != n || (machine != "" && s.Machine != machine) {
				continue
			}
			found = true
			if err := c.dropShims(s.Machine, func(r shim) bool { return r.Path == s.Path }); err != nil {
				return err
			}
		}
		if !found {
			return WithHint(fmt.Errorf("no shim %s", printable(n)), "sbx shim --list shows them")
		}
	}
	return nil
}

// dropShims deletes machine's shims that match (only files that still are
// sbx shims) and forgets them; it returns after saying what it removed.
func (c *Ctx) dropShims(machine string, match func(shim) bool) error {
	recs, err := c.loadShims(machine)
	if err != nil {
		return err
	}
	var keep []shim
	for _, r := range recs {
		if !match(r) {
			keep = append(keep, r)
			continue
		}
		if data, err := os.ReadFile(r.Path); err == nil && isShim(data) {
			if err := os.Remove(r.Path); err != nil {
				return fmt.Errorf("removing shim %s: %w", r.Path, err)
			}
		}
		fmt.Fprintf(c.IO.Err, "sbx: removed shim %s (machine %s)\n", r.Path, machine)
	}
	return c.saveShims(machine, keep)
}

// removeMachineShims is sbx rm's and sbx gc's part: the machine's shims go
// with it.
func (c *Ctx) removeMachineShims(machine string) {
	if err := c.dropShims(machine, func(shim) bool { return true }); err != nil {
		fmt.Fprintf(c.IO.Err, "sbx: %v\n", err) // the machine is gone either way
	}
}

func (c *Ctx) listShims(jsonOut bool) error {
	all, err := c.allShims()
	if err != nil {
		return err
	}
	if jsonOut {
		if all == nil {
			all = []shim{}
		}
		enc := json.NewEncoder(c.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	if len(all) == 0 {
		fmt.Fprintln(c.IO.Err, "sbx: no shims; make one in a project with: sbx shim COMMAND")
		return nil
	}
	for _, s := range all {
		fmt.Fprintf(c.IO.Out, "%s\t%s\t%s\n", s.Command, s.Machine, s.Path)
	}
	return nil
}
