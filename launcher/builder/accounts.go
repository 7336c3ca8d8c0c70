package builder

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sbxdev/sbx/launcher/contract"
)

// accounts is a passwd or group style file of a machine's tree, kept line
// by line so an edit changes only the lines it means to. The tree's root
// wrote it: lines that do not parse are kept as they are and never match.
type accounts struct {
	lines []string
}

// account is one parsed line: name:password:id:rest…
type account struct {
	index  int
	name   string
	id     int
	fields []string
}

func parseAccounts(data []byte) *accounts {
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return &accounts{}
	}
	return &accounts{lines: strings.Split(s, "\n")}
}

func (a *accounts) bytes() []byte {
	if len(a.lines) == 0 {
		return nil
	}
	return []byte(strings.Join(a.lines, "\n") + "\n")
}

// parse returns line i as an account, ok false when it is no such line.
func (a *accounts) parse(i int) (account, bool) {
	f := strings.Split(a.lines[i], ":")
	if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
		return account{}, false
	}
	id, err := strconv.Atoi(f[2])
	if err != nil || id < 0 {
		return account{}, false
	}
	return account{index: i, name: f[0], id: id, fields: f}, true
}

// byName finds the first entry named name.
func (a *accounts) byName(name string) (account, bool) {
	for i := range a.lines {
		if e, ok := a.parse(i); ok && e.name == name {
			return e, true
		}
	}
	return account{}, false
}

// byID finds the first entry with id.
func (a *accounts) byID(id int) (account, bool) {
	for i := range a.lines {
		if e, ok := a.parse(i); ok && e.id == id {
			return e, true
		}
	}
	return account{}, false
}

func (a *accounts) add(fields ...string) { a.lines = append(a.lines, strings.Join(fields, ":")) }

// addMember adds user to the member list (4th field) of group entry e.
// It reports whether the line changed.
func (a *accounts) addMember(e account, user string) bool {
	for len(e.fields) < 4 {
		e.fields = append(e.fields, "")
	}
	var members []string
	if e.fields[3] != "" {
		members = strings.Split(e.fields[3], ",")
	}
	if slices.Contains(members, user) {
		return false
	}
	e.fields[3] = strings.Join(append(members, user), ",")
	a.lines[e.index] = strings.Join(e.fields, ":")
	return true
}

// hasName tells whether a shadow-style file (name first, no id) has name.
func (a *accounts) hasName(name string) bool {
	for _, l := range a.lines {
		if n, _, _ := strings.Cut(l, ":"); n == name {
			return true
		}
	}
	return false
}

// addShadowMember adds user to the members (4th field) of a gshadow line.
func (a *accounts) addShadowMember(group, user string) bool {
	for i, l := range a.lines {
		f := strings.Split(l, ":")
		if f[0] != group {
			continue
		}
		for len(f) < 4 {
			f = append(f, "")
		}
		members := []string{}
		if f[3] != "" {
			members = strings.Split(f[3], ",")
		}
		if slices.Contains(members, user) {
			return false
		}
		f[3] = strings.Join(append(members, user), ",")
		a.lines[i] = strings.Join(f, ":")
		return true
	}
	return false
}

// Group is one of the host user's groups, given to the user inside too.
type Group = contract.Group

// validGroups re-checks the groups of a spec on the root side: their
// names end up in the tree's /etc/group.
func validGroups(gs []Group) error {
	for _, g := range gs {
		if !userRE().MatchString(g.Name) || g.GID <= 0 || len(g.Name) > 64 {
			return fmt.Errorf("invalid group %q (GID %d)", g.Name, g.GID)
		}
	}
	return nil
}
