// Package userdb looks users and groups up the way the C library does:
// through NSS (getent), so users known only to LDAP, SSSD, systemd-homed or
// libnss-extrausers are found. sbx is built without cgo, and Go's os/user
// then reads /etc/passwd and /etc/group only. Where getent is missing the
// files are read directly, as os/user would.
package userdb

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// User is an entry of the passwd database.
type User struct {
	Name     string
	UID, GID int
	Home     string
	Shell    string
}

// Group is an entry of the group database.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// ErrNotFound is returned (wrapped) when no entry matches.
var ErrNotFound = errors.New("not found")

// getentPaths are tried in order; a fixed path, not $PATH, so every caller
// sees the same database.
var getentPaths = []string{"/usr/bin/getent", "/bin/getent"}

// Files are the plain databases read when there is no getent (tests
// point them elsewhere).
var (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

// getent runs getent DB KEY and returns its lines. found is false when the
// key is not in the database; ok is false when there is no getent to ask.
func getent(db, key string) (lines []string, found, ok bool, err error) {
	for _, p := range getentPaths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		out, err := exec.Command(p, db, "--", key).Output()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return strings.Split(strings.TrimRight(string(out), "\n"), "\n"), true, true, nil
		case errors.As(err, &ee) && ee.ExitCode() == 2: // getent: key not found
			return nil, false, true, nil
		default:
			return nil, false, true, fmt.Errorf("getent %s %s: %w", db, key, err)
		}
	}
	return nil, false, false, nil
}

// In both databases an entry's name is its field 0 and its id field 2.
const (
	nameField = 0
	idField   = 2
)

// lookup finds key in db (passwd or group) through getent, else in file:
// the first line of at least fields fields whose field field is key.
func lookup(db, file string, fields, field int, key string) ([]string, error) {
	lines, found, ok, err := getent(db, key)
	if err != nil {
		return nil, err
	}
	if ok {
		if !found || len(lines) == 0 {
			return nil, fmt.Errorf("%s entry %q: %w", db, key, ErrNotFound)
		}
		return strings.Split(lines[0], ":"), nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Split(line, ":"); !strings.HasPrefix(line, "#") && len(f) >= fields && f[field] == key {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s entry %q: %w", db, key, ErrNotFound)
}

func parseUser(f []string) (User, error) {
	if len(f) < 7 {
		return User{}, fmt.Errorf("malformed passwd entry %q", strings.Join(f, ":"))
	}
	uid, err1 := strconv.Atoi(f[2])
	gid, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil {
		return User{}, fmt.Errorf("malformed passwd entry %q", strings.Join(f, ":"))
	}
	return User{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6]}, nil
}

func parseGroup(f []string) (Group, error) {
	if len(f) < 4 {
		return Group{}, fmt.Errorf("malformed group entry %q", strings.Join(f, ":"))
	}
	gid, err := strconv.Atoi(f[2])
	if err != nil {
		return Group{}, fmt.Errorf("malformed group entry %q", strings.Join(f, ":"))
	}
	g := Group{Name: f[0], GID: gid}
	if f[3] != "" {
		g.Members = strings.Split(f[3], ",")
	}
	return g, nil
}

// LookupUser finds the user called name.
func LookupUser(name string) (User, error) { return userBy(nameField, name, "user "+name) }

// LookupUID finds the user with uid.
func LookupUID(uid int) (User, error) {
	return userBy(idField, strconv.Itoa(uid), "uid "+strconv.Itoa(uid))
}

// userBy finds the passwd entry whose field is key; what names the key in
// the error.
func userBy(field int, key, what string) (User, error) {
	f, err := lookup("passwd", passwdFile, 7, field, key)
	if err != nil {
		return User{}, fmt.Errorf("looking up %s: %w", what, err)
	}
	return parseUser(f)
}

// Current is the user this process runs as.
func Current() (User, error) { return LookupUID(os.Getuid()) }

// LookupGroup finds the group called name.
func LookupGroup(name string) (Group, error) { return groupBy(nameField, name, "group "+name) }

// LookupGID finds the group with gid.
func LookupGID(gid int) (Group, error) {
	return groupBy(idField, strconv.Itoa(gid), "gid "+strconv.Itoa(gid))
}

// groupBy is userBy for the group database.
func groupBy(field int, key, what string) (Group, error) {
	f, err := lookup("group", groupFile, 4, field, key)
	if err != nil {
		return Group{}, fmt.Errorf("looking up %s: %w", what, err)
	}
	return parseGroup(f)
}

// GroupIDs lists the groups u is in, its primary group first, as
// initgroups(3) would set them at login.
func GroupIDs(u User) ([]int, error) {
	ids := []int{u.GID}
	add := func(gid int) {
		for _, id := range ids {
			if id == gid {
				return
			}
		}
		ids = append(ids, gid)
	}
	lines, found, ok, err := getent("initgroups", u.Name)
	if err != nil {
		return nil, fmt.Errorf("listing %s's groups: %w", u.Name, err)
	}
	if ok {
		if !found || len(lines) == 0 {
			return ids, nil
		}
		f := strings.Fields(lines[0]) // "NAME GID GID…"
		for _, s := range f[min(1, len(f)):] {
			gid, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("listing %s's groups: getent said %q", u.Name, lines[0])
			}
			add(gid)
		}
		return ids, nil
	}
	data, err := os.ReadFile(groupFile)
	if err != nil {
		return nil, fmt.Errorf("listing %s's groups: %w", u.Name, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 || strings.HasPrefix(line, "#") {
			continue
		}
		g, err := parseGroup(f)
		if err != nil {
			continue
		}
		for _, m := range g.Members {
			if m == u.Name {
				add(g.GID)
			}
		}
	}
	return ids, nil
}
