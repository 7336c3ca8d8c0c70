package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sbxdev/sbx/launcher/layout"
)

// Base is what a machine's tree is bootstrapped from. It cannot change in
// place: a different base is `sbx rebuild`.
type Base struct {
	Distribution string `json:"distribution"`
	Release      string `json:"release"`
	Mirror       string `json:"mirror"`
	Arch         string `json:"arch"`
}

// Record is what has been applied to a machine, per concern. The
// privileged side writes it into the machine's .nspawn header after each
// step; the CLI compares it with the Record its .sandbox asks for (Sum) on
// every use. Fields are in canonical form (sorted, normalised), so two
// records of the same state have the same Sum.
type Record struct {
	Base     Base          `json:"base"`
	Packages []string      `json:"packages,omitempty"` // sorted
	Setup    []string      `json:"setup,omitempty"`    // SetupID of each applied Setup= line, in file order
	Binds    []layout.Bind `json:"binds,omitempty"`    // the user's binds, in file order
	Hostname string        `json:"hostname"`
	Private  bool          `json:"private,omitempty"`
	// StopWhenIdle is the agent's setting, in whole seconds (0: never).
	StopWhenIdle int64  `json:"stop_when_idle,omitempty"`
	Shell        string `json:"shell,omitempty"` // Shell= applied; empty: the one chosen at create
	// Devices are the device nodes given to the machine (sorted).
	Devices []string `json:"devices,omitempty"`
}

// Want is the record of a machine fully in line with s.
func (s *Spec) Want() Record {
	r := Record{
		Base:     s.Base(),
		Packages: slices.Sorted(slices.Values(s.Packages)),
		Hostname: s.Hostname, Private: s.Private, Shell: s.Shell,
		StopWhenIdle: IdleSeconds(s),
	}
	r.Packages = slices.Compact(r.Packages)
	for _, argv := range s.Setup {
		r.Setup = append(r.Setup, SetupID(argv))
	}
	for _, b := range s.Binds {
		r.Binds = append(r.Binds, normalBind(b))
	}
	r.Devices = slices.Compact(slices.Sorted(slices.Values(s.Devices)))
	return r
}

// Base is the spec's base.
func (s *Spec) Base() Base {
	return Base{Distribution: s.Distribution, Release: s.Release, Mirror: s.Mirror, Arch: s.Arch}
}

// IdleSeconds is StopWhenIdle= in whole seconds, at least one when set: a
// shorter span still means "do stop".
func IdleSeconds(s *Spec) int64 {
	if s.StopWhenIdle <= 0 {
		return 0
	}
	return max(1, int64((s.StopWhenIdle+500_000_000)/1_000_000_000))
}

// SetupID names one Setup= line by its content: a changed line is a new
// line, and the same line moved keeps its name.
func SetupID(argv []string) string {
	b, _ := json.Marshal(argv) // cannot fail: strings only
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// Sum is a short hash of r: two records with the same Sum are the same.
func (r Record) Sum() string {
	b, _ := json.Marshal(r) // cannot fail: plain fields
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:12])
}

// Encode is r on one line, as the .nspawn header keeps it.
func (r Record) Encode() string {
	b, _ := json.Marshal(r) // cannot fail: plain fields; JSON escapes line breaks
	return string(b)
}

// ParseRecord reads Encode's output.
func ParseRecord(s string) (Record, error) {
	var r Record
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return Record{}, fmt.Errorf("reading the record of applied settings: %w", err)
	}
	return r, nil
}

// String is a short description for logs.
func (b Base) String() string {
	return strings.Join([]string{b.Distribution, b.Release, b.Arch, b.Mirror}, " ")
}
