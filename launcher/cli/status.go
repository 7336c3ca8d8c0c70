package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/safetext"
)

func statusCmd() *Command {
	return &Command{
		Name: "status", Args: "[NAME]", Group: "Machines", Short: "show a machine's state",
		Long: `Shows the machine NAME (or the project's machine): whether it runs and since
when, its project, distribution and release, its systemd unit, its main PID and
the disk space its root filesystem uses, and whether it is in line with its
trusted .sandbox ("Sandbox: in line with .sandbox", or the changes the next
sbx run will apply, and base changes that need sbx rebuild). machinectl status
NAME shows the same machine from systemd's side.`,
		Run: func(c *Ctx, args []string) error {
			return c.onMachine(args, 0, c.status)
		},
	}
}

// status prints what is known of t's machine.
func (c *Ctx) status(ctx context.Context, bus *machine.Bus, t *target) error {
	m, err := bus.Machine(ctx, t.Name)
	if err != nil {
		return err
	}
	unit := machine.NspawnUnit(t.Name)
	st, err := bus.UnitState(ctx, unit)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.IO.Out, 0, 0, 2, ' ', 0)
	state := "stopped"
	if m != nil {
		state = m.State
		if m.Since > 0 {
			since := time.UnixMicro(int64(m.Since))
			state += fmt.Sprintf(" since %s (%s ago)", since.Format("2006-01-02 15:04:05"), round(time.Since(since)))
		}
	}
	fmt.Fprintf(w, "Machine:\t%s\n", t.Name)
	fmt.Fprintf(w, "State:\t%s\n", state)
	fmt.Fprintf(w, "Project:\t%s\n", safetext.Escape(t.Meta.Project))
	fmt.Fprintf(w, "System:\t%s %s\n", t.Meta.Distribution, t.Meta.Release)
	fmt.Fprintf(w, "Unit:\t%s (%s/%s)\n", unit, st.Active, st.Sub)
	if m != nil && m.Leader > 0 {
		fmt.Fprintf(w, "Leader:\t%d\n", m.Leader)
	}
	network := "the host's (shared)"
	if t.Meta.Private {
		network = "private (its own network namespace)"
	}
	fmt.Fprintf(w, "Network:\t%s\n", network)
	fmt.Fprintf(w, "Sandbox:\t%s\n", c.settingsOf(t))
	fmt.Fprintf(w, "Disk:\t%s\n", c.diskUsage(ctx, bus, t.Name))
	fmt.Fprintf(w, "Created:\t%s\n", t.Meta.Created)
	return w.Flush()
}

// diskUsage asks the privileged helper to measure the tree (the store is
// not readable by users); failures become a short note, not an error.
func (c *Ctx) diskUsage(ctx context.Context, bus *machine.Bus, name string) string {
	var n int64 = -1
	unit := fmt.Sprintf("sbx-du-%s-%d.service", name, time.Now().UnixNano())
	err := c.runRoot(ctx, bus, unit, "du", name, func(e builder.Event) {
		if e.Result != nil {
			n = e.Result.Size
		}
	})
	if err != nil || n < 0 {
		return "unknown (sudo du -sh " + builder.ImageDir(name) + ")"
	}
	return builder.SizeString(n)
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
