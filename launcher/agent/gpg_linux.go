package agent

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// linkGPG puts the gpg-agent redirect in place for a command of u whose
// environment asks for the host's agent (see gpg.go). It returns a note
// for the command's stderr when that failed: the command still runs, and
// its gpg then says it found no agent.
func linkGPG(base string, u guestUser, env []string) string {
	if u.UID == 0 {
		return "" // root has no /run/user/0: its gpg finds the redirect the CLI left in GPGHome
	}
	if home, _ := envValue(env, "GNUPGHOME"); home != GPGHome {
		return ""
	}
	if _, ok := envValue(env, GPGAgentVar); !ok {
		return ""
	}
	if err := gpgRedirect(base, u.UID, u.GID); err != nil {
		return fmt.Sprintf("sbx: the host's gpg-agent is not reachable in this command: %v\n", err)
	}
	return ""
}

// gpgRedirect makes BASE/UID/gnupg/d.HASH/S.gpg-agent the redirect file,
// owned by the user. The agent is root and these directories are the
// user's: every step is relative to a directory descriptor and follows
// no link. The warm path is three opens and one small read.
func gpgRedirect(base string, uid, gid int) error {
	rt, err := unix.Open(filepath.Join(base, strconv.Itoa(uid)), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil // no session: gpg's socket directory is its home, where the CLI put the redirect
	}
	if err != nil {
		return fmt.Errorf("opening the runtime directory %s/%d: %w", base, uid, err)
	}
	defer unix.Close(rt)
	if err := ownedBy(rt, uid); err != nil {
		return err
	}
	gd, err := userDir(rt, "gnupg", uid, gid)
	if err != nil {
		return err
	}
	defer unix.Close(gd)
	sd, err := userDir(gd, gpgSocketSubdir(GPGHome), uid, gid)
	if err != nil {
		return err
	}
	defer unix.Close(sd)
	if isRedirect(sd) {
		return nil
	}
	const tmp = ".S.gpg-agent.sbx"
	unix.Unlinkat(sd, tmp, 0) // best effort: left by an agent killed here
	fd, err := unix.Openat(sd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("writing the gpg-agent redirect: %w", err)
	}
	_, err = unix.Write(fd, []byte(GPGRedirect))
	if err == nil {
		err = unix.Fchown(fd, uid, gid)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Renameat(sd, tmp, sd, "S.gpg-agent")
	}
	if err != nil {
		unix.Unlinkat(sd, tmp, 0) // best effort
		return fmt.Errorf("writing the gpg-agent redirect: %w", err)
	}
	return nil
}

// userDir opens parent/name, a directory of uid with mode 0700 as gpg
// wants its socket directories, making it when it is missing.
func userDir(parent int, name string, uid, gid int) (int, error) {
	made := unix.Mkdirat(parent, name, 0o700) == nil
	fd, err := unix.Openat(parent, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the gpg socket directory %s: %w", name, err)
	}
	if made {
		if err := errors.Join(unix.Fchown(fd, uid, gid), unix.Fchmod(fd, 0o700)); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("making the gpg socket directory %s: %w", name, err)
		}
	}
	if err := ownedBy(fd, uid); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

func ownedBy(fd, uid int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if int(st.Uid) != uid {
		return fmt.Errorf("a gpg directory is owned by uid %d, not %d", st.Uid, uid)
	}
	return nil
}

// isRedirect reports whether dir's S.gpg-agent is the redirect file
// (a socket or a FIFO there does not open: O_NONBLOCK, and a socket fails).
func isRedirect(dir int) bool {
	fd, err := unix.Openat(dir, "S.gpg-agent", unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	buf := make([]byte, len(GPGRedirect)+1)
	n, err := unix.Read(fd, buf)
	return err == nil && bytes.Equal(buf[:max(n, 0)], []byte(GPGRedirect))
}
