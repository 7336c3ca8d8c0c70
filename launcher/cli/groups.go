package cli

import (
	"os/user"
	"strconv"

	"github.com/sbxdev/sbx/launcher/builder"
)

// hostGroups lists u's supplementary groups (the primary one left out),
// which the user inside the machine gets too, with the same names and
// GIDs: a project shared through a group (setgid, mode 2775) is then as
// writable inside as on the host. A group that cannot be looked up is left
// out.
func hostGroups(u *user.User) []builder.Group {
	ids, err := u.GroupIds()
	if err != nil {
		return nil // best effort: the primary group is still given
	}
	var out []builder.Group
	for _, id := range ids {
		if id == u.Gid {
			continue
		}
		gid, err := strconv.Atoi(id)
		if err != nil || gid <= 0 {
			continue
		}
		g, err := user.LookupGroupId(id)
		if err != nil {
			continue
		}
		out = append(out, builder.Group{Name: g.Name, GID: gid})
	}
	return out
}
