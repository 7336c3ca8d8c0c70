package cli

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sbxdev/sbx/launcher/safetext"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
	"github.com/sbxdev/sbx/launcher/trust"
)

func initCmd() *Command {
	var force bool
	return &Command{
		Name: "init", Args: "[DIR]", Group: "Project", Short: "write a .sandbox that fits the project here",
		Long: `Writes DIR/.sandbox (DIR defaults to the current directory), which makes DIR
a project: sbx gives it a machine of its own, with DIR bound inside at the same
path: Debian trixie from deb.debian.org, your user, the host's network.

init looks at the files at the top of DIR and sets what the project's own
build needs, saying what it chose and why (in its output and in the file):
  Makefile, configure         build-essential
  CMakeLists.txt              cmake, build-essential
  go.mod                      golang-go (GOTOOLCHAIN=auto when go.mod wants a
                              newer Go than Debian's)
  Cargo.toml                  cargo, rustc
  package.json                nodejs, npm
  pyproject.toml, requirements.txt
                              python3, python3-venv, python3-pip
  debian/control              devscripts, equivs, and the package's build
                              dependencies (Setup=apt-get build-dep -y ./)
  .git                        git
Every other setting is commented out and explained; a project init does not
recognise gets them all commented out ("all defaults").

An existing .sandbox is never overwritten unless you add --force. System
directories (/, /etc, /usr, ...) and your home directory itself cannot be project
roots: the machine needs its own, and binding all of home would put every file you
have into the machine. Use a project directory such as ~/src/NAME.

init trusts the file it writes (it runs nothing now); after you edit it, trust
it again with 'sbx allow'. Then: 'sbx run make' or 'sbx shell'.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&force, "force", false, "replace an existing .sandbox with the default")
		},
		Run: func(c *Ctx, args []string) error {
			if len(args) > 1 {
				return Usagef("init takes at most one directory, got %d arguments", len(args))
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return runInit(c, dir, force)
		},
	}
}

func runInit(c *Ctx, dir string, force bool) error {
	root, err := c.projectDir(dir)
	if err != nil {
		return err
	}
	if err := sandboxfile.CheckRoot(root, c.home()); err != nil {
		return err
	}
	path := filepath.Join(root, sandboxfile.FileName)
	if st, err := os.Lstat(path); err == nil {
		if !force {
			return WithHint(fmt.Errorf("%s already exists", path),
				"keep it and edit it, or replace it with the default: sbx init --force %s", shellQuote(dir))
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s exists and is not a regular file; move it away first", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("checking %s: %w", path, err)
	}
	found := sandboxfile.Detect(root)
	if err := writeSandbox(path, []byte(sandboxfile.TemplateFor(root, found)), force); err != nil {
		return err
	}

	// The file is sbx's own default with nothing to run: trust it at once,
	// so a new project is two commands from sbx run make. Any edit makes it
	// untrusted again, as always.
	f, err := sandboxfile.Load(path, c.home())
	if err != nil {
		return err
	}
	store, err := trust.Open(c.Env)
	if err != nil {
		return err
	}
	if err := store.Allow(f); err != nil {
		return err
	}
	out := c.IO.Out
	if len(found) == 0 {
		fmt.Fprintf(out, "Wrote %s (machine %s, Debian %s, all defaults) and trusted it.\n", safetext.Escape(path), sandboxfile.DefaultName(root), sandboxfile.DefaultRelease)
		fmt.Fprintf(out, "It found no build files it knows (Makefile, go.mod, Cargo.toml, package.json, ...): add what the\nproject needs to Packages= (for example: Packages=build-essential).\n")
	} else {
		fmt.Fprintf(out, "Wrote %s (machine %s, Debian %s) and trusted it.\n", safetext.Escape(path), sandboxfile.DefaultName(root), sandboxfile.DefaultRelease)
		fmt.Fprintf(out, "For what is in the project, the machine gets:\n")
		for _, n := range found {
			fmt.Fprintf(out, "  %-16s -> %s (%s)\n", n.Why, n.What, strings.Join(n.Packages, " "))
		}
		if setup := found.Setup(); len(setup) > 0 {
			fmt.Fprintf(out, "and, once at create, as root: Setup=%s\n", strings.Join(setup, "; Setup="))
		}
	}
	if parent, err := sandboxfile.Find(filepath.Dir(root)); err == nil {
		fmt.Fprintf(out, "Note: this is inside the project of %s; below %s, this new file is the one used.\n", parent, root)
	}
	allow := "sbx allow"
	if dir != "." {
		allow += " " + shellQuote(dir)
	}
	fmt.Fprintf(out, `Next:
  use the machine:  sbx run make   (or: sbx shell)
  to change it:     edit the file (every setting is explained there), then %s
`, allow)
	return nil
}

// projectDir returns the real path of dir, which must be an existing
// directory.
func (c *Ctx) projectDir(dir string) (string, error) {
	abs, err := c.abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return "", WithHint(fmt.Errorf("%s does not exist", abs), "create it first: mkdir -p %s", shellQuote(abs))
	}
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", dir, err)
	}
	if st, err := os.Stat(real); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s is not a directory; give the project's directory", abs)
	}
	return real, nil
}

// writeSandbox writes a new .sandbox with mode 0644 whatever the umask, so
// that `sbx allow` does not refuse it as group-writable. Without replace it
// fails if the file exists; with replace it swaps the file atomically.
func writeSandbox(path string, data []byte, replace bool) error {
	dir := filepath.Dir(path)
	var f *os.File
	var err error
	if replace {
		f, err = os.CreateTemp(dir, ".sandbox.tmp-*")
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if replace {
		defer os.Remove(f.Name()) // best effort: gone after the rename anyway
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && replace {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
