package builder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// addUser creates the host user inside the tree at root; see addUserTree.
func addUser(_ context.Context, s *Spec, root string, r *Reporter) error {
	t, err := openTree(root)
	if err != nil {
		return err
	}
	defer t.Close()
	return addUserTree(s, t, r)
}

// accountFiles are the tree's user and group databases, edited from Go:
// the tree's own useradd and groupadd are the tree author's programs, and
// root never runs those outside a container.
type accountFiles struct {
	passwd, group, shadow, gshadow *accounts
	changed                        map[string]bool
}

func loadAccounts(t *tree) (*accountFiles, error) {
	a := &accountFiles{changed: map[string]bool{}}
	for _, f := range []struct {
		rel      string
		dst      **accounts
		optional bool
	}{
		{"etc/passwd", &a.passwd, false}, {"etc/group", &a.group, false},
		{"etc/shadow", &a.shadow, true}, {"etc/gshadow", &a.gshadow, true},
	} {
		data, err := t.readFile(f.rel)
		if err != nil && !(f.optional && os.IsNotExist(err)) {
			return nil, fmt.Errorf("reading the machine's %s: %w", t.show(f.rel), err)
		}
		if err == nil {
			*f.dst = parseAccounts(data)
		}
	}
	return a, nil
}

// save writes back the files that changed, keeping each one's owner and
// mode (shadow is root:shadow 0640 on Debian).
func (a *accountFiles) save(t *tree) error {
	for rel, acc := range map[string]*accounts{"etc/passwd": a.passwd, "etc/group": a.group, "etc/shadow": a.shadow, "etc/gshadow": a.gshadow} {
		if !a.changed[rel] || acc == nil {
			continue
		}
		mode, uid, gid := os.FileMode(0o644), 0, 0
		if f, fi, err := t.open(rel, unix.O_RDONLY); err == nil {
			f.Close()
			mode = fi.Mode().Perm()
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				uid, gid = int(st.Uid), int(st.Gid)
			}
		}
		if err := t.writeFile(rel, acc.bytes(), mode, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// addGroup adds group name with gid (and its gshadow line).
func (a *accountFiles) addGroup(name string, gid int, members string) {
	a.group.add(name, "x", strconv.Itoa(gid), members)
	a.changed["etc/group"] = true
	if a.gshadow != nil && !a.gshadow.hasName(name) {
		a.gshadow.add(name, "!", "", members)
		a.changed["etc/gshadow"] = true
	}
}

// join makes user a member of group entry g.
func (a *accountFiles) join(g account, user string) {
	if a.group.addMember(g, user) {
		a.changed["etc/group"] = true
	}
	if a.gshadow != nil && a.gshadow.addShadowMember(g.name, user) {
		a.changed["etc/gshadow"] = true
	}
}

// addUserTree creates the host user inside with the same name, UID,
// primary GID and supplementary groups, and a home at the same path,
// before the machine ever boots (a bind under /home/USER would otherwise
// create that home owned by root). A supplementary group whose name or GID
// means something else inside is skipped, and said so.
func addUserTree(s *Spec, t *tree, r *Reporter) error {
	u := s.User
	if err := validGroups(u.Groups); err != nil {
		return err
	}
	a, err := loadAccounts(t)
	if err != nil {
		return err
	}
	if g, ok := a.group.byID(u.GID); ok && g.name != u.Group {
		r.Send(Event{Info: fmt.Sprintf("GID %d is %q inside the machine; using it as %s's group", u.GID, g.name, u.Name)})
	} else if !ok {
		if g, taken := a.group.byName(u.Group); taken {
			return failf(125, "", "group %q exists inside the machine with GID %d, not %d", u.Group, g.id, u.GID)
		}
		a.addGroup(u.Group, u.GID, "")
	}
	if p, ok := a.passwd.byID(u.UID); ok && p.name != u.Name {
		return failf(125, "", "UID %d is already %q inside the machine", u.UID, p.name)
	}
	created := false
	if _, ok := a.passwd.byName(u.Name); !ok {
		shell := u.Shell
		if !t.exists(shell) {
			shell = "/bin/bash"
		}
		a.passwd.add(u.Name, "x", strconv.Itoa(u.UID), strconv.Itoa(u.GID), "", u.Home, shell)
		a.changed["etc/passwd"] = true
		if a.shadow != nil && !a.shadow.hasName(u.Name) {
			days := strconv.FormatInt(time.Now().Unix()/86400, 10)
			a.shadow.add(u.Name, "!", days, "0", "99999", "7", "", "", "")
			a.changed["etc/shadow"] = true
		}
		created = true
		u.Shell = shell
	}
	var clashes []string
	for _, hg := range u.Groups {
		if hg.GID == u.GID {
			continue
		}
		byID, idOK := a.group.byID(hg.GID)
		byName, nameOK := a.group.byName(hg.Name)
		switch {
		case idOK && byID.name == hg.Name:
			a.join(byID, u.Name)
		case idOK:
			clashes = append(clashes, fmt.Sprintf("%s (GID %d is %q inside)", hg.Name, hg.GID, byID.name))
		case nameOK:
			clashes = append(clashes, fmt.Sprintf("%s (it has GID %d inside, %d here)", hg.Name, byName.id, hg.GID))
		default:
			a.addGroup(hg.Name, hg.GID, u.Name)
		}
	}
	if g, ok := a.group.byName("sudo"); ok {
		a.join(g, u.Name)
	}
	if err := a.save(t); err != nil {
		return err
	}
	if len(clashes) > 0 {
		r.Send(Event{Info: "not given inside the machine (the name or GID is taken there): group " + strings.Join(clashes, ", group ")})
	}
	if created {
		if err := makeHome(t, u); err != nil {
			return err
		}
	}
	if t.isDir("etc/sudoers.d") {
		// Members of group sbx are root on the host already; sudo inside the
		// machine asks for no password they never set.
		rule := fmt.Sprintf("%s ALL=(ALL:ALL) NOPASSWD: ALL\n", u.Name)
		if err := t.writeFile("etc/sudoers.d/sbx-"+u.Name, []byte(rule), 0o440, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// makeHome creates the user's home inside (unless there is one) with the
// tree's /etc/skel files (regular files only), owned by the user.
func makeHome(t *tree, u User) error {
	if !t.exists(u.Home) {
		d, err := t.mkdirAll(u.Home, 0o755)
		if err != nil {
			return err
		}
		err = unix.Fchownat(int(d.Fd()), "", u.UID, u.GID, unix.AT_EMPTY_PATH)
		d.Close()
		if err != nil {
			return fmt.Errorf("giving %s its home: %w", u.Name, err)
		}
		if err := copySkel(t, u); err != nil {
			return err
		}
	}
	if filepath.Base(u.Shell) == "zsh" {
		return quietZsh(t, u)
	}
	return nil
}

func copySkel(t *tree, u User) error {
	h, err := t.mkdirAll("etc/skel", 0o755)
	if err != nil {
		return nil // no skeleton: an empty home
	}
	d, err := reopenDir(h)
	h.Close()
	if err != nil {
		return nil // best effort: an empty home
	}
	defer d.Close()
	names, _ := d.Readdirnames(256) // best effort: a few dot files
	for _, n := range names {
		rel := "etc/skel/" + n
		f, fi, err := t.open(rel, unix.O_RDONLY)
		if err != nil {
			continue // not a regular file: skipped
		}
		data, err := readBounded(f, 1<<20, t.show(rel))
		f.Close()
		if err != nil {
			continue
		}
		if err := t.writeFile(filepath.Join(u.Home, n), data, fi.Mode().Perm()&0o755, u.UID, u.GID); err != nil {
			return err
		}
	}
	return nil
}

// reopenDir turns an O_PATH directory handle into one that can be read.
func reopenDir(h *os.File) (*os.File, error) {
	fd, err := unix.Openat(int(h.Fd()), ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), h.Name()), nil
}

// quietZsh gives a zsh user a ~/.zshrc in the new machine's home (which is
// not the host's): without any startup file zsh greets every first login
// with its interactive newuser menu, which eats what is typed and stalls
// the shell the hook opens on cd.
func quietZsh(t *tree, u User) error {
	for _, name := range []string{".zshenv", ".zprofile", ".zshrc", ".zlogin"} {
		if t.exists(filepath.Join(u.Home, name)) {
			return nil
		}
	}
	content := "# Created by sbx so zsh does not run zsh-newuser-install; add your settings here.\n"
	if err := t.writeFile(filepath.Join(u.Home, ".zshrc"), []byte(content), 0o644, u.UID, u.GID); err != nil {
		return fmt.Errorf("creating ~/.zshrc for %s: %w", u.Name, err)
	}
	return nil
}
