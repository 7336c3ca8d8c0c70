package cli

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/safetext"
)

func statusCmd() *Command {
	var asJSON bool
	return &Command{
		Name: "status", Args: "[--json] [NAME]", Group: "Machines", Short: "show a machine's state",
		Long: `Shows the machine NAME (or the project's machine): whether it runs and since
when, its project, distribution and release, its systemd unit, its main PID and
the disk space its root filesystem uses, and whether it is in line with its
trusted .sandbox ("Sandbox: in line with .sandbox", or the changes the next
sbx run will apply, and base changes that need sbx rebuild). machinectl status
NAME shows the same machine from systemd's side.

--json prints one object with the same fields: machine, state (running,
opening, closing or stopped), since (RFC 3339, while it runs), project,
distribution, release, unit, unit_state, unit_substate, leader (while it runs),
network (host or private), sandbox, disk_bytes (when it could be measured) and
created.`,
		Flags: func(fs *flag.FlagSet) { jsonFlag(fs, &asJSON) },
		Run: func(c *Ctx, args []string) error {
			return c.onMachine(args, 0, func(c *Ctx, bus *machine.Bus, t *target) error {
				s, err := c.machineStatus(bus, t)
				if err != nil {
					return err
				}
				if asJSON {
					return s.writeJSON(c.IO.Out)
				}
				return s.writeText(c.IO.Out)
			})
		},
	}
}

// machineStatus is what sbx status knows of a machine. Its text and its
// JSON are both rendered from fields(): a new line of status is one entry
// there.
type machineStatus struct {
	Name      string
	Running   *machine.Running // nil when stopped
	Unit      string
	UnitState machine.UnitState
	Meta      nspawn.Meta
	Sandbox   string // how it stands against its .sandbox (settingsOf)
	DiskBytes int64  // -1 when it could not be measured
	Now       time.Time
}

// fields are the lines of sbx status in order; an entry with no Label or
// no Text is JSON only, one with a nil Value is text only.
func (s *machineStatus) fields() []field {
	state, since, leader := "stopped", any(nil), any(nil)
	stateText := state
	if m := s.Running; m != nil {
		state, stateText = m.State, m.State
		if m.Since > 0 {
			t := time.UnixMicro(int64(m.Since))
			since = t.UTC().Format(time.RFC3339)
			stateText += fmt.Sprintf(" since %s (%s ago)", t.Format("2006-01-02 15:04:05"), round(s.Now.Sub(t)))
		}
		if m.Leader > 0 {
			leader = m.Leader
		}
	}
	network, networkText := "host", "the host's (shared)"
	if s.Meta.Private {
		network, networkText = "private", "private (its own network namespace)"
	}
	disk, diskText := any(s.DiskBytes), builder.SizeString(s.DiskBytes)
	if s.DiskBytes < 0 {
		disk, diskText = nil, "unknown (sudo du -sh "+builder.ImageDir(s.Name)+")"
	}
	return []field{
		{"Machine", "machine", s.Name, s.Name},
		{"State", "state", stateText, state},
		{"", "since", "", since},
		{"Project", "project", safetext.Escape(s.Meta.Project), s.Meta.Project},
		{"System", "distribution", s.Meta.Distribution + " " + s.Meta.Release, s.Meta.Distribution},
		{"", "release", "", s.Meta.Release},
		{"Unit", "unit", fmt.Sprintf("%s (%s/%s)", s.Unit, s.UnitState.Active, s.UnitState.Sub), s.Unit},
		{"", "unit_state", "", s.UnitState.Active},
		{"", "unit_substate", "", s.UnitState.Sub},
		{"Leader", "leader", textOf(leader), leader},
		{"Network", "network", networkText, network},
		{"Sandbox", "sandbox", s.Sandbox, s.Sandbox},
		{"Disk", "disk_bytes", diskText, disk},
		{"Created", "created", s.Meta.Created, s.Meta.Created},
	}
}

// textOf shows an optional value; nil is no text (the line is left out).
func textOf(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func (s *machineStatus) writeText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range s.fields() {
		if f.Label != "" && f.Text != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", f.Label, f.Text)
		}
	}
	return tw.Flush()
}

func (s *machineStatus) writeJSON(w io.Writer) error {
	obj, err := fieldsJSON(s.fields())
	if err != nil {
		return err
	}
	return writeJSON(w, obj)
}

// machineStatus gathers what sbx status shows of t's machine.
func (c *Ctx) machineStatus(bus *machine.Bus, t *target) (*machineStatus, error) {
	ctx := c.Context()
	m, err := bus.Machine(ctx, t.Name)
	if err != nil {
		return nil, err
	}
	unit := machine.NspawnUnit(t.Name)
	st, err := bus.UnitState(ctx, unit)
	if err != nil {
		return nil, err
	}
	return &machineStatus{Name: t.Name, Running: m, Unit: unit, UnitState: st, Meta: t.Meta,
		Sandbox: c.settingsOf(t), DiskBytes: c.diskUsage(bus, t.Name), Now: time.Now()}, nil
}

// diskUsage asks the privileged helper to measure the tree (the store is
// not readable by users); -1 when that fails (status says how to measure).
func (c *Ctx) diskUsage(bus *machine.Bus, name string) int64 {
	var n int64 = -1
	unit := fmt.Sprintf("sbx-du-%s-%d.service", name, time.Now().UnixNano())
	err := c.runRoot(bus, unit, "du", name, func(e builder.Event) {
		if e.Result != nil {
			n = e.Result.Size
		}
	})
	if err != nil {
		return -1
	}
	return n
}

// settingsOf says how t stands against its project's .sandbox, read only
// when trusted.
func (c *Ctx) settingsOf(t *target) string {
	p := t.Project
	if p == nil {
		loaded, err := c.loadProject(t.Meta.Project)
		if err != nil || loaded.Name != t.Name {
			return "unknown (no .sandbox naming it in " + safetext.Escape(t.Meta.Project) + ")"
		}
		if err := c.requireTrust(loaded); err != nil {
			return "unknown (" + safetext.Escape(loaded.File.Path) + " is not trusted)"
		}
		p = loaded
	}
	return c.settingsLine(p)
}
