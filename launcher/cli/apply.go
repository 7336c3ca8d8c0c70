package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/machine"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/safetext"
)

// standing is how p's machine stands against p's (trusted) .sandbox.
type standing struct {
	Exists  bool
	Meta    nspawn.Meta
	Changes contract.Changes
	InLine  bool // nothing to apply and no base change
	Adopt   bool // made before sbx kept a record: the helper takes .sandbox as applied
}

// standingOf compares p's machine with p's .sandbox: one small read (the
// machine's .nspawn, which holds the record of what was applied) and a
// hash. It refuses a machine that is another project's.
func (c *Ctx) standingOf(p *project) (standing, error) {
	meta, err := nspawn.ReadMeta(p.Name)
	if errors.Is(err, os.ErrNotExist) {
		return standing{}, nil
	}
	if err != nil {
		return standing{}, err
	}
	st := standing{Exists: true, Meta: meta}
	if err := checkOwnProject(p, meta); err != nil {
		return st, err
	}
	want := contract.FromFile(p.File).Want()
	if meta.Applied == "" {
		st.Adopt = true
		return st, nil
	}
	rec, err := contract.ParseRecord(meta.Applied)
	if err != nil {
		return st, WithHint(fmt.Errorf("machine %s: %w", p.Name, err), "make it anew from .sandbox: sbx rebuild")
	}
	if rec.Sum() == want.Sum() && meta.State == nspawn.StateReady {
		st.InLine = true
		return st, nil
	}
	st.Changes = contract.Diff(rec, want)
	return st, nil
}

// checkOwnProject refuses to treat another project's machine as p's: two
// .sandbox files that say the same Name= (two worktrees of one repository).
func checkOwnProject(p *project, meta nspawn.Meta) error {
	if meta.Project == "" || meta.Project == p.File.Root {
		return nil
	}
	return WithHint(fmt.Errorf("machine %s is the machine of %s, and %s names it too (Name=%s)",
		p.Name, safetext.Escape(meta.Project), safetext.Escape(p.File.Path), p.Name),
		"%s", builder.NameCollisionHint(p.Name, safetext.Escape(meta.Project)))
}

// applyOnUse brings p's machine in line with its trusted .sandbox before a
// command runs in it, saying in one line what it applies. A machine in
// line costs nothing more than standingOf. A base change cannot be
// applied in place: it is named, with sbx rebuild, and commands run in
// the machine as it is.
func (c *Ctx) applyOnUse(p *project) error {
	st, err := c.standingOf(p)
	if err != nil || !st.Exists || st.InLine {
		return err
	}
	if len(st.Changes.Base) > 0 {
		fmt.Fprintf(c.IO.Err, "sbx: .sandbox changed the base of %s (%s); that needs a new machine: sbx rebuild\n",
			p.Name, st.Changes.BaseSummary())
	}
	if !st.Adopt && !st.Changes.InPlace() && st.Meta.State == nspawn.StateReady {
		return nil
	}
	if sum := st.Changes.Summary(); sum != "" {
		fmt.Fprintf(c.IO.Err, "sbx: applying .sandbox to %s: %s\n", p.Name, sum)
	}
	return c.withBus(func(bus *machine.Bus) error { return c.apply(bus, p, "apply") })
}

// apply runs the privileged apply (or create) of p, with progress, and
// says what takes effect only at the next start.
func (c *Ctx) apply(bus *machine.Bus, p *project, op string) error {
	s, err := c.spec(p)
	if err != nil {
		return err
	}
	data, err := s.Encode()
	if err != nil {
		return err
	}
	prog := c.newProgress()
	var later []string
	err = c.runRootSpec(bus, "sbx-"+op+"-"+s.Name+".service", op, s.Name, data, func(e builder.Event) {
		later = append(later, e.NextStart...)
		prog.event(e)
	})
	if err != nil || len(later) == 0 {
		return err
	}
	// Nobody else is in the machine: restart it now rather than later.
	if n, serr := agent.ActiveSessions(c.Context(), agentSocket(s.Name)); serr == nil && n == 0 && op == "apply" {
		fmt.Fprintf(c.IO.Err, "sbx: restarting %s for %s (no other session runs in it)\n", s.Name, strings.Join(later, "; "))
		rc, cancel := c.within(startTimeout)
		defer cancel()
		if err := rc.stop(bus, s.Name); err != nil {
			return err
		}
		meta, err := nspawn.ReadMeta(s.Name)
		if err != nil {
			return err
		}
		return rc.start(bus, &target{Name: s.Name, Meta: meta})
	}
	fmt.Fprintf(c.IO.Err, "sbx: %s takes effect at the next start of %s: sbx restart\n", strings.Join(later, "; "), s.Name)
	return nil
}

// settingsLine is what `sbx status` says of the machine's settings; it
// agrees with what the next `sbx run` would print.
func (c *Ctx) settingsLine(p *project) string {
	st, err := c.standingOf(p)
	switch {
	case err != nil:
		return err.Error()
	case !st.Exists:
		return "not created yet"
	case st.InLine:
		return "in line with .sandbox"
	case st.Adopt:
		return "no record yet (made by an older sbx); the next sbx run records .sandbox as applied"
	}
	var parts []string
	if sum := st.Changes.Summary(); sum != "" {
		parts = append(parts, "pending: "+sum+" (applied by the next sbx run or sbx shell)")
	} else if st.Meta.State != nspawn.StateReady {
		parts = append(parts, "pending: the rest of Setup= (applied by the next sbx run or sbx shell)")
	}
	if len(st.Changes.Base) > 0 {
		parts = append(parts, "base changed: "+st.Changes.BaseSummary()+" (needs sbx rebuild)")
	}
	return strings.Join(parts, "; ")
}
