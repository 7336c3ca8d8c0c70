package contract

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
)

// Changes is what it takes to bring a machine from one Record to another,
// key by key. How each is applied (and when it takes effect) is the
// privileged side's apply step of the same name; README's .sandbox
// reference lists the rules.
type Changes struct {
	Base           []string // "Release= bookworm → trixie": only sbx rebuild applies these
	PackagesAdd    []string
	PackagesRemove []string
	SetupNew       []int // indexes into the Spec's Setup of lines to run, in file order
	SetupRemoved   int   // lines applied before and now gone: only noted
	BindsAdd       []layout.Bind
	BindsRemove    []layout.Bind
	Hostname       string // the new hostname, or ""
	Private        *bool  // the new Private=, or nil
	StopWhenIdle   *int64 // the new agent setting, or nil
	Shell          string // the new Shell=, or ""
	DevicesAdd     []string
	DevicesRemove  []string
}

// Diff compares what was applied with what is wanted.
func Diff(applied, want Record) Changes {
	var c Changes
	ab, wb := applied.Base, want.Base
	for _, f := range []struct{ key, old, new string }{
		{"Distribution", ab.Distribution, wb.Distribution},
		{"Release", ab.Release, wb.Release},
		{"Mirror", ab.Mirror, wb.Mirror},
		{"architecture", ab.Arch, wb.Arch},
	} {
		if f.old != f.new {
			c.Base = append(c.Base, fmt.Sprintf("%s= %s → %s", f.key, orNone(f.old), orNone(f.new)))
		}
	}
	c.PackagesAdd = minus(want.Packages, applied.Packages)
	c.PackagesRemove = minus(applied.Packages, want.Packages)
	for i, id := range want.Setup {
		if !slices.Contains(applied.Setup, id) {
			c.SetupNew = append(c.SetupNew, i)
		}
	}
	c.SetupRemoved = len(minus(applied.Setup, want.Setup))
	c.BindsAdd = minus(want.Binds, applied.Binds)
	c.BindsRemove = minus(applied.Binds, want.Binds)
	if applied.Hostname != want.Hostname {
		c.Hostname = want.Hostname
	}
	if applied.Private != want.Private {
		p := want.Private
		c.Private = &p
	}
	if applied.StopWhenIdle != want.StopWhenIdle {
		s := want.StopWhenIdle
		c.StopWhenIdle = &s
	}
	if applied.Shell != want.Shell && want.Shell != "" {
		c.Shell = want.Shell
	}
	c.DevicesAdd = minus(want.Devices, applied.Devices)
	c.DevicesRemove = minus(applied.Devices, want.Devices)
	return c
}

// InPlace reports whether anything can be applied without a rebuild.
func (c Changes) InPlace() bool {
	return len(c.PackagesAdd)+len(c.PackagesRemove)+len(c.SetupNew)+c.SetupRemoved+
		len(c.BindsAdd)+len(c.BindsRemove)+len(c.DevicesAdd)+len(c.DevicesRemove) > 0 ||
		c.Hostname != "" || c.Private != nil || c.StopWhenIdle != nil || c.Shell != ""
}

// Empty reports a machine in line with its .sandbox.
func (c Changes) Empty() bool { return !c.InPlace() && len(c.Base) == 0 }

// Summary lists the in-place changes, one clause per key:
// "Packages= +bc; Setup= 1 new line; Bind= +/home/ada/data".
func (c Changes) Summary() string {
	var parts []string
	if words := signed(c.PackagesAdd, c.PackagesRemove, func(s string) string { return s }); words != "" {
		parts = append(parts, "Packages= "+words)
	}
	if n := len(c.SetupNew); n > 0 || c.SetupRemoved > 0 {
		var s []string
		if n > 0 {
			s = append(s, plural(n, "new line"))
		}
		if c.SetupRemoved > 0 {
			s = append(s, plural(c.SetupRemoved, "line")+" removed (not undone)")
		}
		parts = append(parts, "Setup= "+strings.Join(s, ", "))
	}
	if words := signed(c.BindsAdd, c.BindsRemove, bindWord); words != "" {
		parts = append(parts, "Bind= "+words)
	}
	if c.Hostname != "" {
		parts = append(parts, "Hostname= "+c.Hostname)
	}
	if c.Private != nil {
		parts = append(parts, "Private= "+yesNo(*c.Private))
	}
	if c.StopWhenIdle != nil {
		v := "never"
		if *c.StopWhenIdle > 0 {
			v = (time.Duration(*c.StopWhenIdle) * time.Second).String()
		}
		parts = append(parts, "StopWhenIdle= "+v)
	}
	if c.Shell != "" {
		parts = append(parts, "Shell= "+c.Shell)
	}
	if words := signed(c.DevicesAdd, c.DevicesRemove, func(s string) string { return s }); words != "" {
		parts = append(parts, "Device= "+words)
	}
	return strings.Join(parts, "; ")
}

// BaseSummary names the base changes: "Release= bookworm → trixie".
func (c Changes) BaseSummary() string { return strings.Join(c.Base, ", ") }

func bindWord(b layout.Bind) string {
	s := b.Host
	if b.Guest != "" {
		s += ":" + b.Guest
	}
	if b.ReadOnly {
		s += " (read-only)"
	}
	return s
}

func signed[T any](add, remove []T, word func(T) string) string {
	var w []string
	for _, a := range add {
		w = append(w, "+"+word(a))
	}
	for _, r := range remove {
		w = append(w, "-"+word(r))
	}
	return strings.Join(w, " ")
}

// minus is the elements of a not in b, in a's order.
func minus[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
