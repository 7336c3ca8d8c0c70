package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/relay"
)

// [Host] GPGAgent=yes: gpg in the machine signs and decrypts with the
// host's gpg-agent, through the agent's extra socket (the restricted one
// GnuPG documents for forwarding to another machine), and finds the
// host's public keys. How gpg inside is pointed at it is in
// launcher/agent/gpg.go; the host's side, per command:
//   - GNUPGHOME=/run/sbx/gnupg: the machine's runtime directory's gnupg/,
//     holding copies of the host's public keyring and trust database
//     (copied again only when the host's changed) and a gpg.conf of the
//     host's with no-autostart, so gpg inside never starts an agent of its
//     own on these keys;
//   - a relay gpg-agent.TAG to the host's extra socket, named in
//     SBX_GPG_AGENT; a connection that finds no host agent starts it
//     (gpgconf --launch), as gpg on the host would.
// With GPGAgent=no that directory is removed: no host key stays visible.

// gpgHomeDir is GPGHome's name in the machine's runtime directory.
const gpgHomeDir = "gnupg"

// gpgNoAutostart ends the gpg.conf inside.
const gpgNoAutostart = "\n# sbx: GPGAgent=yes, the host's gpg-agent only\nno-autostart\n"

// gpgCopied are the files of the host's GnuPG home gpg inside reads
// (pubring.gpg where a keyring from before GnuPG 2.1 is still in use).
var gpgCopied = []string{"pubring.kbx", "pubring.gpg", "trustdb.gpg"}

// linkGPG sets up GPGAgent= for one command (on), or takes its files away.
func (c *Ctx) linkGPG(l *hostLinks, dir, tag string, on bool) {
	if !on {
		if _, err := os.Lstat(filepath.Join(dir, gpgHomeDir)); err == nil {
			os.RemoveAll(filepath.Join(dir, gpgHomeDir)) // best effort; links in it are removed, not followed
		}
		return
	}
	dirs, err := c.gpgDirs()
	if err == nil {
		err = syncGPGHome(dir, dirs["homedir"], tag, c.exportGPGKeys)
	}
	if err != nil {
		fmt.Fprintf(c.IO.Err, "sbx: not passing the GPG agent: %v\n", err)
		return
	}
	name := "gpg-agent." + tag
	r, err := relay.StartWaking(filepath.Join(dir, name), dirs["agent-extra-socket"], c.launchGPGAgent)
	if err != nil {
		fmt.Fprintf(c.IO.Err, "sbx: not passing the GPG agent: %v\n", err)
		return
	}
	l.relays = append(l.relays, r)
	l.env[agent.GPGAgentVar] = guestRuntime + "/" + name
	l.env["GNUPGHOME"] = agent.GPGHome
}

// gpgDirs asks the host's gpgconf where the user's GnuPG home and agent
// sockets are (GNUPGHOME and the socket directory rules are its own).
func (c *Ctx) gpgDirs() (map[string]string, error) {
	ctx, cancel := context.WithTimeout(c.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gpgconf", "--list-dirs")
	cmd.Env = c.Env.list()
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if errors.Is(err, exec.ErrNotFound) {
		return nil, errors.New("gpgconf is not on this host: install gnupg, or set GPGAgent=no in .sandbox")
	}
	if err != nil {
		return nil, fmt.Errorf("gpgconf --list-dirs: %v %s", err, strings.TrimSpace(errOut.String()))
	}
	dirs := parseGPGDirs(out)
	for _, k := range []string{"homedir", "agent-extra-socket"} {
		if !filepath.IsAbs(dirs[k]) {
			return nil, fmt.Errorf("gpgconf --list-dirs names no %s", k)
		}
	}
	return dirs, nil
}

// parseGPGDirs reads gpgconf's "name:value" lines (values percent-escaped).
func parseGPGDirs(out []byte) map[string]string {
	dirs := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			dirs[k] = unescapeGPG(v)
		}
	}
	return dirs
}

func unescapeGPG(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			var c byte
			if _, err := fmt.Sscanf(v[i+1:i+3], "%02x", &c); err == nil {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// launchGPGAgent starts the host's gpg-agent (the relay's wake).
func (c *Ctx) launchGPGAgent() {
	ctx, cancel := context.WithTimeout(c.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gpgconf", "--launch", "gpg-agent")
	cmd.Env = c.Env.list()
	cmd.Run() // best effort: gpg inside then says it found no agent
}

// syncGPGHome brings the runtime directory's gnupg/ in line with the
// host's GnuPG home hostHome. The runtime directory is writable by the
// machine's root: everything there goes through an os.Root (no link out
// of it is followed), files are replaced by rename, never written into.
//
// A host whose public keys are in keyboxd's database (use-keyboxd, GnuPG
// 2.4) has no keyring file to copy: export makes a pubring.gpg of them,
// again whenever that database changed.
func syncGPGHome(dir, hostHome, tag string, export func() ([]byte, error)) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Mkdir(gpgHomeDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("making %s: %w", filepath.Join(dir, gpgHomeDir), err)
	}
	if st, err := root.Lstat(gpgHomeDir); err != nil || !st.IsDir() || !ownedByMe(st) {
		return fmt.Errorf("%s is not a directory of yours: remove it and try again", filepath.Join(dir, gpgHomeDir))
	}
	home, err := root.OpenRoot(gpgHomeDir)
	if err != nil {
		return err
	}
	defer home.Close()
	copied := gpgCopied
	if mtime, ok := keyboxdChanged(hostHome); ok {
		home.Remove("pubring.kbx") // best effort: one from before keyboxd would shadow the export
		if err := syncFile(home, "pubring.gpg", tag, mtime, -1, 0o400, export); err != nil {
			return err
		}
		copied = []string{"trustdb.gpg"}
	}
	for _, name := range copied {
		src := filepath.Join(hostHome, name)
		st, err := os.Stat(src)
		if err != nil {
			home.Remove(name) // best effort: the host has none (any more)
			continue
		}
		if err := syncFile(home, name, tag, st.ModTime(), st.Size(), 0o400, func() ([]byte, error) { return os.ReadFile(src) }); err != nil {
			return err
		}
	}
	conf := filepath.Join(hostHome, "gpg.conf")
	var mtime time.Time
	size := int64(len(gpgNoAutostart))
	if st, err := os.Stat(conf); err == nil {
		mtime, size = st.ModTime(), size+st.Size()
	}
	err = syncFile(home, "gpg.conf", tag, mtime, size, 0o600, func() ([]byte, error) {
		b, err := os.ReadFile(conf)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return append(b, gpgNoAutostart...), nil
	})
	if err != nil {
		return err
	}
	// Where gpg looks when it has no /run/user/UID (root, a machine
	// without user sessions): its socket directory is then the home.
	return syncFile(home, "S.gpg-agent", tag, time.Time{}, int64(len(agent.GPGRedirect)), 0o600, func() ([]byte, error) {
		return []byte(agent.GPGRedirect), nil
	})
}

// keyboxdChanged reports whether hostHome keeps its public keys in
// keyboxd (common.conf says use-keyboxd), and when its database last
// changed (the newest file of public-keys.d, whose journal moves first).
func keyboxdChanged(hostHome string) (time.Time, bool) {
	conf, err := os.ReadFile(filepath.Join(hostHome, "common.conf"))
	if err != nil || !slices.Contains(strings.Fields(string(conf)), "use-keyboxd") {
		return time.Time{}, false
	}
	var newest time.Time
	ents, _ := os.ReadDir(filepath.Join(hostHome, "public-keys.d"))
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.ModTime().After(newest) {
			newest = info.ModTime()
		}
	}
	if newest.IsZero() {
		newest = time.Unix(1, 0) // no keys yet: export once, not every command
	}
	return newest, true
}

// exportGPGKeys is the host user's public keys, as gpg --export gives them.
func (c *Ctx) exportGPGKeys() ([]byte, error) {
	ctx, cancel := context.WithTimeout(c.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "gpg", "--batch", "--export")
	cmd.Env = c.Env.list()
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("gpg --export (keyboxd keeps the public keys): %v %s", err, strings.TrimSpace(errOut.String()))
	}
	return out, nil
}

// syncFile replaces root's name with data() unless it is a regular file
// of that size (any size when size < 0) and, unless mtime is zero, that
// modification time (which the copy gets).
func syncFile(root *os.Root, name, tag string, mtime time.Time, size int64, mode fs.FileMode, data func() ([]byte, error)) error {
	have, err := root.Lstat(name)
	if err == nil && have.Mode().IsRegular() && (size < 0 || have.Size() == size) && (mtime.IsZero() || have.ModTime().Equal(mtime)) {
		return nil
	}
	b, err := data()
	if err != nil {
		return err
	}
	tmp := "." + name + "." + tag
	root.Remove(tmp) // best effort: left by a killed sbx
	f, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("copying %s for the machine's gpg: %w", name, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !mtime.IsZero() {
		err = root.Chtimes(tmp, mtime, mtime)
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		root.Remove(tmp) // best effort
		return fmt.Errorf("copying %s for the machine's gpg: %w", name, err)
	}
	return nil
}

func ownedByMe(st fs.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Getuid()
}
