package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/userdb"
)

// currentUser is the user running sbx as a machine's user: a machine's
// owner, with the same name, UID, GID and groups inside. Its login shell
// is shell (Shell= of the .sandbox) when given, else $SHELL, else bash.
func (c *Ctx) currentUser(shell string) (contract.User, error) {
	u, g, err := currentIdentity()
	if err != nil {
		return contract.User{}, err
	}
	if shell == "" {
		shell = c.Env["SHELL"]
	}
	if !filepath.IsAbs(shell) {
		shell = "/bin/bash"
	}
	return contract.User{Name: u.Name, UID: u.UID, Group: g.Name, GID: u.GID, Home: u.Home, Shell: shell, Groups: hostGroups(u)}, nil
}

// currentIdentity looks the user running sbx and its primary group up
// through NSS (see userdb), refusing root: machines are made for a user.
func currentIdentity() (userdb.User, userdb.Group, error) {
	u, err := userdb.Current()
	if err != nil {
		return userdb.User{}, userdb.Group{}, WithHint(fmt.Errorf("looking up the current user: %w", err),
			"check that getent passwd %d answers (the user database, NSS)", os.Getuid())
	}
	if u.UID == 0 {
		return userdb.User{}, userdb.Group{}, WithHint(errors.New("machines are made for a regular user, and this is root"),
			"run sbx as your own user (a member of group sbx), not with sudo")
	}
	g, err := userdb.LookupGID(u.GID)
	if err != nil {
		return userdb.User{}, userdb.Group{}, WithHint(fmt.Errorf("looking up your primary group: %w", err),
			"check that getent group %d answers (the group database, NSS)", u.GID)
	}
	return u, g, nil
}
