package agent

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// guestUser is an /etc/passwd entry of the guest. The agent reads the
// files itself: os/user may consult NSS on the host build and does not
// report the login shell.
type guestUser struct {
	Name  string
	UID   int
	GID   int
	Home  string
	Shell string
}

// lookupUID finds uid in a passwd file.
func lookupUID(passwd string, uid int) (guestUser, error) {
	f, err := os.Open(passwd)
	if err != nil {
		return guestUser{}, fmt.Errorf("reading the machine's user list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 7 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if id, err := strconv.Atoi(fields[2]); err != nil || id != uid {
			continue
		}
		gid, err := strconv.Atoi(fields[3])
		if err != nil {
			continue
		}
		return guestUser{Name: fields[0], UID: uid, GID: gid, Home: fields[5], Shell: fields[6]}, nil
	}
	if err := sc.Err(); err != nil {
		return guestUser{}, fmt.Errorf("reading the machine's user list: %w", err)
	}
	return guestUser{}, fmt.Errorf("there is no user with uid %d in this machine; recreate the machine so sbx can add it", uid)
}

// supplementaryGroups lists the groups of /etc/group that name user as a
// member, plus its primary group, as setgroups wants them.
func supplementaryGroups(group, user string, primary int) ([]uint32, error) {
	gids := []uint32{uint32(primary)}
	f, err := os.Open(group)
	if err != nil {
		return nil, fmt.Errorf("reading the machine's group list: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20) // group lines can be long
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 || fields[3] == "" {
			continue
		}
		gid, err := strconv.Atoi(fields[2])
		if err != nil || gid == primary {
			continue
		}
		for _, m := range strings.Split(fields[3], ",") {
			if m == user {
				gids = append(gids, uint32(gid))
				break
			}
		}
	}
	return gids, sc.Err()
}
