package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/bridge"
	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/safetext"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

func exportCmd() *Command {
	return &Command{
		Name: "export", Args: "[NAME] FILE", Group: "Machines",
		Short: "write a machine to an archive, to move it to another host",
		Long: `Writes machine NAME (or the project's machine) to FILE: one tar archive with the
machine's settings and its root filesystem (owners, permissions, extended
attributes kept). The name decides the compression: FILE.tar.zst (zstd),
FILE.tar.gz or .tgz (gzip), FILE.tar (none); - writes an uncompressed tar to
standard output. On another host: sbx import FILE.

A running machine is powered off first, so the copy is consistent, and started
again afterwards. FILE is created by you, not by root, with mode 0600 (it holds
the machine's password hashes); an existing FILE is not overwritten, and an
interrupted export removes it.`,
		Run: func(c *Ctx, args []string) error {
			if len(args) == 0 || len(args) > 2 {
				return Usagef("want [NAME] FILE")
			}
			file := args[len(args)-1]
			compress, err := compressionFor(file)
			if err != nil {
				return err
			}
			t, err := c.resolveTarget(args[:len(args)-1])
			if err != nil {
				return err
			}
			out, err := c.createExportFile(file)
			if err != nil {
				return err
			}
			path := out.Name() // file, resolved where sbx works
			err = c.export(t, out, compress)
			if file == "-" {
				return err
			}
			if err == nil {
				err = out.Sync()
			}
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path) // best effort: never leave half an archive
				return err
			}
			size := ""
			if fi, err := os.Stat(path); err == nil {
				size = " (" + builder.SizeString(fi.Size()) + ")"
			}
			fmt.Fprintf(c.IO.Err, "sbx: exported %s to %s%s; on another host: sbx import %s\n", t.Name, file, size, shellQuote(filepath.Base(file)))
			return nil
		},
	}
}

// compressionFor picks the compression from the file name.
func compressionFor(file string) (string, error) {
	switch {
	case file == "-", strings.HasSuffix(file, ".tar"):
		return "", nil
	case strings.HasSuffix(file, ".tar.zst"), strings.HasSuffix(file, ".tzst"):
		return "zstd", nil
	case strings.HasSuffix(file, ".tar.gz"), strings.HasSuffix(file, ".tgz"):
		return "gzip", nil
	}
	return "", Usagef("%s: name the file .tar.zst, .tar.gz or .tar (that picks the compression)", file)
}

// createExportFile opens the archive as the user, never replacing a file.
func (c *Ctx) createExportFile(file string) (*os.File, error) {
	if file == "-" {
		if c.IO.OutFile == nil {
			return nil, errors.New("standard output is not a file here")
		}
		return c.IO.OutFile, nil
	}
	path, err := c.abs(file)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, WithHint(fmt.Errorf("%s exists", file), "choose another name, or remove it first")
	}
	return f, err
}

// export has the privileged helper write t's machine into out.
func (c *Ctx) export(t *target, out *os.File, compress string) error {
	arg, err := builder.EncodeArg(&builder.ExportArg{Name: t.Name, Compress: compress})
	if err != nil {
		return err
	}
	return c.privilegedWith(t, "export", arg, "a copy of a running machine's files is not consistent", out)
}

func importCmd() *Command {
	var name, project string
	return &Command{
		Name: "import", Args: "FILE [NAME] [--name NAME] [--project DIR]", Group: "Machines",
		Short: "make a machine from an archive written by sbx export",
		Long: `Makes a machine from FILE, an archive written by sbx export (.tar, .tar.zst or
.tar.gz; - reads standard input). It gets the name recorded in the archive, or
NAME (sbx import FILE NAME, as machinectl import-tar, or --name NAME); a machine
of that name must not exist yet. You become its owner: your user
is added inside if it is not there, and the agent serves you.

The machine binds the project directory you name: --project DIR, or the current
directory. The path recorded in the archive is only shown, never bound: whoever
wrote the archive chose it. The directory must be one sbx init accepts as a
project (not /, /etc or your home itself). Extra bind mounts of the exported
machine are not taken over: sbx create in the project adds those its .sandbox
names.

The archive is checked entry by entry before anything is written: paths must stay
inside the machine (no absolute paths, no "..", nothing below a symbolic link),
and device nodes are accepted only under /dev. Nothing from the archive runs on
the host: your user is added by editing the machine's /etc/passwd and
/etc/group, and every file root writes is resolved inside the machine's tree.
The machine appears under its name only once complete.`,
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "name of the new machine (default: the name in the archive)")
			fs.StringVar(&project, "project", "", "project directory to bind (default: the current directory)")
		},
		Run: func(c *Ctx, args []string) error {
			if name != "" {
				if err := sandboxfile.ValidName(name); err != nil {
					return Usagef("--name: %v", err)
				}
			}
			// FILE NAME is machinectl import-tar's order; --name says the same.
			if len(args) == 2 {
				if name != "" && name != args[1] {
					return Usagef("two names given: %s and --name %s", args[1], name)
				}
				if err := sandboxfile.ValidName(args[1]); err != nil {
					return Usagef("%v", err)
				}
				name, args = args[1], args[:1]
			}
			if len(args) != 1 {
				return Usagef("want FILE and at most a NAME")
			}
			a := &builder.ImportArg{Name: name}
			var err error
			if a.Project, err = c.importProjectDir(project); err != nil {
				return err
			}
			if a.User, err = c.currentUser(""); err != nil {
				return err
			}
			if bridge.IsTerminal(c.IO.ErrFile) {
				fmt.Fprintf(c.IO.Err, "sbx: the machine will bind %s as its project (name another with --project DIR)\n", safetext.Escape(a.Project))
			}
			in, err := c.openImportFile(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			got, err := c.importFrom(in, a)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.IO.Err, "sbx: machine %s is ready; start it: sbx start %s\n", got, got)
			return nil
		},
	}
}

// openImportFile opens FILE as the user ("-": standard input).
func (c *Ctx) openImportFile(file string) (*os.File, error) {
	if file == "-" {
		if c.IO.In == nil {
			return nil, errors.New("no standard input here")
		}
		return c.IO.In, nil
	}
	path, err := c.abs(file)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, WithHint(err, "name an archive written by sbx export")
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, Usagef("%s is a directory; name an archive written by sbx export", file)
	}
	return f, nil
}

// importFrom has the privileged helper make a machine from in; it returns
// the machine's name.
func (c *Ctx) importFrom(in *os.File, a *builder.ImportArg) (string, error) {
	arg, err := builder.EncodeArg(a)
	if err != nil {
		return "", err
	}
	unit := a.Name
	if unit == "" {
		unit = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	var got string
	prog := c.newProgress()
	err = c.withBus(func(bus *machine.Bus) error {
		return c.runRootOnWith(bus, unit, "import", arg, in, func(e builder.Event) {
			if e.Result != nil && e.Result.Machine != "" {
				got = e.Result.Machine
				return
			}
			prog.event(e)
		})
	})
	if err != nil {
		return "", err
	}
	return got, nil
}

// importProjectDir resolves --project (default: the current directory) to
// a real, existing directory that sbx init would accept as a project root.
func (c *Ctx) importProjectDir(dir string) (string, error) {
	what := "--project " + dir
	if dir == "" {
		dir, what = ".", "the current directory"
	}
	abs, err := c.abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", WithHint(fmt.Errorf("%s: %w", what, err), "create the directory first")
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return "", Usagef("%s is not a directory", what)
	}
	if err := sandboxfile.CheckRoot(abs, c.Env["HOME"]); err != nil {
		return "", WithHint(fmt.Errorf("%s: %w", what, err), "run sbx import in the project directory, or name it with --project DIR")
	}
	return abs, nil
}
