package builder

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
)

// configure applies the seed's in-machine steps to the tree at root:
// hostname, hosts, a fresh machine id, locales, the user, sudo, the agent
// units and the shell hooks.
func configure(ctx context.Context, s *Spec, root string, r *Reporter) error {
	r.Phase("Configuring the machine (hostname, locale, user " + s.User.Name + ")")
	files := []struct {
		path, content string
		mode          os.FileMode
	}{
		{"etc/hostname", s.Hostname + "\n", 0o644},
		{"etc/hosts", hostsFile(s.Hostname), 0o644},
		// Empty: systemd gives each machine its own id at first boot, so
		// copies of one cached base never share one.
		{"etc/machine-id", "", 0o444},
		{layout.AgentConf[1:], agentConf(s), 0o644},
		{"etc/systemd/system/sbx-agent.socket", agentSocket, 0o644},
		{"etc/systemd/system/sbx-agent.service", agentService, 0o644},
		{"etc/fish/conf.d/sbx.fish", fishHook, 0o644},
	}
	for _, f := range files {
		if err := writeFile(root, f.path, f.content, f.mode); err != nil {
			return err
		}
	}
	wants := filepath.Join(root, "etc/systemd/system/sockets.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return err
	}
	link := filepath.Join(wants, "sbx-agent.socket")
	os.Remove(link) // best effort: re-running configure
	if err := os.Symlink("../sbx-agent.socket", link); err != nil {
		return err
	}
	if err := appendOnce(filepath.Join(root, "etc/bash.bashrc"), bashHook); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "etc/zsh/zshrc")); err == nil {
		if err := appendOnce(filepath.Join(root, "etc/zsh/zshrc"), zshHook); err != nil {
			return err
		}
	}
	if err := locales(ctx, s, root, r); err != nil {
		return err
	}
	return addUser(ctx, s, root, r)
}

// agentConf is the agent's configuration (see agent.ParseConfig).
func agentConf(s *Spec) string {
	return agent.Config{OwnerUID: s.User.UID, StopWhenIdle: time.Duration(contract.IdleSeconds(s)) * time.Second}.Encode()
}

func hostsFile(host string) string {
	return fmt.Sprintf(`127.0.0.1	localhost %s
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
`, host)
}

// The agent runs as root in the guest, started on the first connection.
const agentSocket = `[Unit]
Description=sbx agent socket (runs sbx run/shell commands)

[Socket]
ListenStream=` + layout.AgentSocket + `
SocketMode=0666
RemoveOnStop=yes

[Install]
WantedBy=sockets.target
`

const agentService = `[Unit]
Description=sbx agent (runs sbx run/shell commands)

[Service]
ExecStart=` + layout.GuestBinary + ` __agent
KillMode=mixed
`

const hookMark = "# sbx shell hook"

var (
	bashHook = hookMark + "\n[ -x " + layout.GuestBinary + " ] && eval \"$(" + layout.GuestBinary + " hook bash)\"\n"
	zshHook  = hookMark + "\n[ -x " + layout.GuestBinary + " ] && eval \"$(" + layout.GuestBinary + " hook zsh)\"\n"
	fishHook = hookMark + "\nif test -x " + layout.GuestBinary + "\n    " + layout.GuestBinary + " hook fish | source\nend\n"
)

// appendOnce appends block to a file unless its first line is already there.
func appendOnce(path, block string) error {
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if strings.Contains(string(data), hookMark) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString("\n" + block)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

var localeRE = lazyRegexp(`^([a-zA-Z_]+)\.(UTF-8|utf8)(@[a-z]+)?$`)

// locales generates the host user's UTF-8 locale inside (C.UTF-8 needs none).
func locales(ctx context.Context, s *Spec, root string, r *Reporter) error {
	lang := "C.UTF-8"
	if m := localeRE().FindStringSubmatch(s.Lang); m != nil && m[1] != "C" {
		lang = m[1] + ".UTF-8" + m[3]
		if err := writeFile(root, "etc/locale.gen", lang+" UTF-8\n", 0o644); err != nil {
			return err
		}
		if err := chroot(ctx, root, r, "locale-gen"); err != nil {
			return err
		}
	}
	return writeFile(root, "etc/default/locale", "LANG="+lang+"\n", 0o644)
}

// addUser creates the host user inside with the same name, UID and primary
// GID, and a home at the same path, before the machine ever boots (a bind
// under /home/USER would otherwise create that home owned by root).
func addUser(ctx context.Context, s *Spec, root string, r *Reporter) error {
	u := s.User
	groups, err := readColon(filepath.Join(root, "etc/group"))
	if err != nil {
		return err
	}
	if g, ok := groups.byID[u.GID]; ok && g != u.Group {
		r.Send(Event{Info: fmt.Sprintf("GID %d is %q inside the machine; using it as %s's group", u.GID, g, u.Name)})
	} else if !ok {
		if id, taken := groups.byName[u.Group]; taken {
			return failf(125, "", "group %q exists inside the machine with GID %d, not %d", u.Group, id, u.GID)
		}
		if err := chroot(ctx, root, r, "groupadd", "-g", fmt.Sprint(u.GID), u.Group); err != nil {
			return err
		}
	}
	users, err := readColon(filepath.Join(root, "etc/passwd"))
	if err != nil {
		return err
	}
	if name, ok := users.byID[u.UID]; ok && name != u.Name {
		return failf(125, "", "UID %d is already %q inside the machine", u.UID, name)
	}
	if _, ok := users.byName[u.Name]; !ok {
		shell := u.Shell
		if _, err := os.Stat(filepath.Join(root, shell)); err != nil {
			shell = "/bin/bash"
		}
		args := []string{"useradd", "-u", fmt.Sprint(u.UID), "-g", fmt.Sprint(u.GID), "-m", "-d", u.Home, "-s", shell}
		if _, ok := groups.byName["sudo"]; ok {
			args = append(args, "-G", "sudo")
		}
		if err := chroot(ctx, root, r, append(args, u.Name)...); err != nil {
			return err
		}
		if filepath.Base(shell) == "zsh" {
			if err := quietZsh(root, u); err != nil {
				return err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/sudoers.d")); err == nil {
		// Members of group sbx are root on the host already; sudo inside the
		// machine asks for no password they never set.
		rule := fmt.Sprintf("%s ALL=(ALL:ALL) NOPASSWD: ALL\n", u.Name)
		if err := writeFile(root, "etc/sudoers.d/sbx-"+u.Name, rule, 0o440); err != nil {
			return err
		}
	}
	return nil
}

type colonFile struct {
	byID   map[int]string
	byName map[string]int
}

// readColon reads /etc/passwd or /etc/group style files (name:x:id:...).
func readColon(path string) (colonFile, error) {
	cf := colonFile{byID: map[int]string{}, byName: map[string]int{}}
	f, err := os.Open(path)
	if err != nil {
		return cf, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 {
			continue
		}
		var id int
		if _, err := fmt.Sscan(fields[2], &id); err == nil {
			cf.byID[id] = fields[0]
			cf.byName[fields[0]] = id
		}
	}
	return cf, sc.Err()
}

// chroot runs a configuration tool inside the tree being built.
func chroot(ctx context.Context, root string, r *Reporter, argv ...string) error {
	var out []string
	err := run(ctx, baseEnv(), func(l string) { r.Log(l); out = append(out, l) }, append([]string{"chroot", root}, argv...)...)
	if err != nil && ctx.Err() == nil {
		return failf(125, "", "%s inside the new machine failed (%v): %s", argv[0], err, strings.Join(out, " | "))
	}
	return err
}

// quietZsh gives a zsh user a ~/.zshrc in the new machine's home (which is
// not the host's): without any startup file zsh greets every first login
// with its interactive newuser menu, which eats what is typed and stalls
// the shell the hook opens on cd.
func quietZsh(root string, u User) error {
	home := filepath.Join(root, u.Home)
	for _, name := range []string{".zshenv", ".zprofile", ".zshrc", ".zlogin"} {
		if _, err := os.Lstat(filepath.Join(home, name)); err == nil {
			return nil
		}
	}
	f, err := os.OpenFile(filepath.Join(home, ".zshrc"), os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("creating ~/.zshrc for %s: %w", u.Name, err)
	}
	_, err = f.WriteString("# Created by sbx so zsh does not run zsh-newuser-install; add your settings here.\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chown(f.Name(), u.UID, u.GID)
	}
	return err
}
