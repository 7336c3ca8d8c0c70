package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

func snapshotCmd() *Command {
	return &Command{
		Name: "snapshot", Args: "[NAME] [SNAP] | rm [NAME] SNAP", Group: "Machines",
		Short: "save the machine's files as a named snapshot",
		Long: `Saves the root filesystem of machine NAME (or the project's machine) as snapshot
SNAP (default: the current time, like 20240102-150405), to go back to later with
sbx restore. A running machine is powered off first, as machinectl's manual
advises, so the copy is consistent, and started again afterwards.

Where the machine is a btrfs subvolume the snapshot is a btrfs snapshot (instant,
shares unchanged data); elsewhere it is a tar archive compressed with zstd (or gzip
without zstd), with progress shown. Snapshots are kept in
` + builder.SnapshotsDir + `/NAME/ and listed by sbx snapshots. The project
directory and other bound paths are not part of a snapshot.

With one argument, SNAP is taken as NAME when a machine has that name, and as
the snapshot's name for the project's machine otherwise.

sbx snapshot rm [NAME] SNAP removes a snapshot.`,
		Run: func(c *Ctx, args []string) error {
			if len(args) > 0 && args[0] == "rm" {
				return c.snapshotRemove(args[1:])
			}
			if len(args) > 2 {
				return Usagef("too many arguments")
			}
			var nameArgs []string
			snap := time.Now().Format("20060102-150405")
			switch {
			case len(args) == 2:
				nameArgs, snap = args[:1], args[1]
			case len(args) == 1 && isMachine(args[0]):
				nameArgs = args
			case len(args) == 1:
				snap = args[0]
			}
			if !builder.ValidSnapshotName(snap) {
				return Usagef("invalid snapshot name %q: use a-z, 0-9 and '-' (at most 64)", snap)
			}
			t, err := c.resolveTarget(nameArgs)
			if err != nil {
				return err
			}
			ref := builder.SnapRef{Machine: t.Name, Snapshot: snap}
			return c.privileged(t, "snapshot", ref.String(), "a copy of a running machine's files is not consistent")
		},
	}
}

// isMachine tells whether an sbx machine of that name exists.
func isMachine(name string) bool {
	_, err := nspawn.ReadMeta(name)
	return err == nil
}

func restoreCmd() *Command {
	return &Command{
		Name: "restore", Args: "[NAME] SNAP", Group: "Machines",
		Short: "put a machine's files back as they were in a snapshot",
		Long: `Replaces the root filesystem of machine NAME (or the project's machine) with
snapshot SNAP. Everything changed in the machine since then is lost; the project
directory and other bound paths are not touched. A running machine is powered
off first and started again afterwards.

The snapshot is unpacked next to the machine and swapped in with one rename only
when it is complete: Ctrl-C, a full disk or a crash leaves the machine as it was.`,
		Run: func(c *Ctx, args []string) error {
			t, ref, err := c.snapshotArgs(args, true)
			if err != nil {
				return err
			}
			return c.privileged(t, "restore", ref.String(), "its files are about to be replaced")
		},
	}
}

// snapshotArgs reads [NAME] SNAP; the machine must exist when mustExist.
func (c *Ctx) snapshotArgs(args []string, mustExist bool) (*target, builder.SnapRef, error) {
	if len(args) == 0 || len(args) > 2 {
		return nil, builder.SnapRef{}, Usagef("want [NAME] SNAP")
	}
	snap := args[len(args)-1]
	if !builder.ValidSnapshotName(snap) {
		return nil, builder.SnapRef{}, Usagef("invalid snapshot name %q", snap)
	}
	if !mustExist && len(args) == 2 {
		if err := sandboxfile.ValidName(args[0]); err != nil {
			return nil, builder.SnapRef{}, Usagef("%v", err)
		}
		return &target{Name: args[0]}, builder.SnapRef{Machine: args[0], Snapshot: snap}, nil
	}
	t, err := c.resolveTarget(args[:len(args)-1])
	if err != nil {
		return nil, builder.SnapRef{}, err
	}
	return t, builder.SnapRef{Machine: t.Name, Snapshot: snap}, nil
}

// snapshotRemove is `sbx snapshot rm [NAME] SNAP`. With NAME it works for
// snapshots of machines removed since.
func (c *Ctx) snapshotRemove(args []string) error {
	t, ref, err := c.snapshotArgs(args, false)
	if err != nil {
		return err
	}
	err = c.withBus(func(bus *machine.Bus) error {
		return c.runRootOn(bus, t.Name, "snapshot-rm", ref.String(), c.newProgress().event)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.IO.Err, "sbx: removed snapshot %s of %s\n", ref.Snapshot, ref.Machine)
	return nil
}

func snapshotsCmd() *Command {
	var quiet, asJSON bool
	return &Command{
		Name: "snapshots", Args: "[--quiet | --json] [NAME]", Group: "Machines", Short: "list a machine's snapshots",
		Long: `Lists the snapshots of machine NAME (or the project's machine), oldest first:
name, when it was taken, its size on disk and its kind (btrfs, tar.zst, tar.gz).
Snapshots of a removed machine are still listed when NAME is given.

--json prints an array with one object per snapshot, with the same fields:
name, taken (RFC 3339), size_bytes (left out for btrfs snapshots, which share
their blocks) and kind.`,
		Flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&quiet, "quiet", false, "print only the names")
			jsonFlag(fs, &asJSON)
		},
		Run: func(c *Ctx, args []string) error {
			name, err := c.machineNameArg(args)
			if err != nil {
				return err
			}
			list, err := builder.ListSnapshots(name)
			if err != nil {
				return err
			}
			rows := []snapshotRow{}
			for _, s := range list {
				rows = append(rows, newSnapshotRow(s))
			}
			if asJSON {
				return writeJSON(c.IO.Out, rows)
			}
			if len(rows) == 0 {
				fmt.Fprintf(c.IO.Err, "sbx: machine %s has no snapshots; take one: sbx snapshot %s\n", name, name)
				return nil
			}
			if quiet {
				for _, r := range rows {
					fmt.Fprintln(c.IO.Out, r.Name)
				}
				return nil
			}
			return writeSnapshots(c.IO.Out, rows)
		},
	}
}

// snapshotRow is one snapshot of sbx snapshots, as text and as JSON.
type snapshotRow struct {
	Name      string    `json:"name"`
	Taken     time.Time `json:"taken"`
	SizeBytes *int64    `json:"size_bytes,omitempty"` // nil for btrfs: shared blocks
	Kind      string    `json:"kind"`                 // btrfs, tar.zst, tar.gz
}

func newSnapshotRow(s builder.SnapshotInfo) snapshotRow {
	r := snapshotRow{Name: s.Name, Taken: s.Time, Kind: kindName(s.Kind)}
	if s.Kind != builder.KindBtrfs {
		size := s.Size
		r.SizeBytes = &size
	}
	return r
}

func writeSnapshots(w io.Writer, rows []snapshotRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SNAPSHOT\tTAKEN\tSIZE\tKIND")
	for _, r := range rows {
		size := "-"
		if r.SizeBytes != nil {
			size = builder.SizeString(*r.SizeBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Taken.Format("2006-01-02 15:04:05"), size, r.Kind)
	}
	return tw.Flush()
}

// kindName shows a snapshot kind without its leading dot.
func kindName(kind string) string {
	if kind == builder.KindBtrfs {
		return "btrfs"
	}
	return strings.TrimPrefix(kind, ".")
}

// machineNameArg is NAME when given (the machine need not exist any more),
// else the project's machine.
func (c *Ctx) machineNameArg(args []string) (string, error) {
	switch len(args) {
	case 0:
		wd, err := c.cwd()
		if err != nil {
			return "", err
		}
		p, err := c.loadProject(wd)
		if err != nil {
			return "", err
		}
		return p.Name, nil
	case 1:
		if err := sandboxfile.ValidName(args[0]); err != nil {
			return "", Usagef("%v", err)
		}
		return args[0], nil
	}
	return "", Usagef("too many arguments")
}
