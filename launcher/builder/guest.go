package builder

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/agent"
	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/layout"
)

// configure applies the seed's in-machine steps to the tree at root:
// hostname, hosts, a fresh machine id, locales, the user, sudo, the agent
// units and the shell hooks. Every path is resolved inside the tree.
func configure(ctx context.Context, s *Spec, root string, r *Reporter) error {
	r.Phase("Configuring the machine (hostname, locale, user " + s.User.Name + ")")
	t, err := openTree(root)
	if err != nil {
		return err
	}
	defer t.Close()
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
		{agent.SessionPAMFile[1:], agent.SessionPAMConfig, 0o644},
		{"etc/fish/conf.d/sbx.fish", fishHook, 0o644},
	}
	for _, f := range files {
		if err := t.writeFile(f.path, []byte(f.content), f.mode, 0, 0); err != nil {
			return err
		}
	}
	if err := t.symlink("../sbx-agent.socket", "etc/systemd/system/sockets.target.wants/sbx-agent.socket"); err != nil {
		return err
	}
	if err := t.appendOnce("etc/bash.bashrc", bashHook); err != nil {
		return err
	}
	if t.exists("etc/zsh/zshrc") {
		if err := t.appendOnce("etc/zsh/zshrc", zshHook); err != nil {
			return err
		}
	}
	if err := locales(ctx, s, t, r); err != nil {
		return err
	}
	return addUserTree(s, t, r)
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

var localeRE = lazyRegexp(`^([a-zA-Z_]+)\.(UTF-8|utf8)(@[a-z]+)?$`)

// locales generates the host user's UTF-8 locale inside (C.UTF-8 needs none).
func locales(ctx context.Context, s *Spec, t *tree, r *Reporter) error {
	lang := "C.UTF-8"
	if m := localeRE().FindStringSubmatch(s.Lang); m != nil && m[1] != "C" {
		lang = m[1] + ".UTF-8" + m[3]
		if err := t.writeFile("etc/locale.gen", []byte(lang+" UTF-8\n"), 0o644, 0, 0); err != nil {
			return err
		}
		if err := inMachine(ctx, s.Name, t.path, r, "locale-gen"); err != nil {
			return err
		}
	}
	return t.writeFile("etc/default/locale", []byte("LANG="+lang+"\n"), 0o644, 0, 0)
}

// inMachine runs one of the tree's own programs inside a container of the
// tree (never in a chroot with the host's capabilities: the tree's root
// may have replaced it), without network or binds.
func inMachine(ctx context.Context, name, root string, r *Reporter, argv ...string) error {
	var out []string
	nsArgs := []string{"systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--settings=no",
		"--as-pid2", "--console=pipe", "--private-users=no", "--private-network", "--resolv-conf=off",
		"--directory=" + root, "--machine=" + name, "--setenv=LANG=C.UTF-8", "--"}
	err := run(ctx, baseEnv(), func(l string) { r.Log(l); out = append(out, l) }, append(nsArgs, argv...)...)
	if err != nil && ctx.Err() == nil {
		return failf(125, "", "%s inside the new machine failed (%v): %s", argv[0], err, strings.Join(out, " | "))
	}
	return err
}
