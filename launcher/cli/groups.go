package cli

import (
	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/userdb"
)

// hostGroups lists u's supplementary groups (the primary one left out),
// which the user inside the machine gets too, with the same names and
// GIDs: a project shared through a group (setgid, mode 2775) is then as
// writable inside as on the host. Groups come from NSS like the user, and
// a group that cannot be looked up is left out.
func hostGroups(u userdb.User) []builder.Group {
	ids, err := userdb.GroupIDs(u)
	if err != nil {
		return nil // best effort: the primary group is still given
	}
	var out []builder.Group
	for _, gid := range ids {
		if gid == u.GID || gid <= 0 {
			continue
		}
		g, err := userdb.LookupGID(gid)
		if err != nil {
			continue
		}
		out = append(out, builder.Group{Name: g.Name, GID: gid})
	}
	return out
}
