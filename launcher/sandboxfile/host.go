package sandboxfile

import (
	"path/filepath"
	"strings"
)

// Host is the [Host] section: what of the host's desktop and devices the
// machine may use. Unset booleans take their defaults (see the methods).
type Host struct {
	SSHAgentSet  bool // SSHAgent= given; else on when the host has an agent
	SSHAgent     bool
	GPGAgent     bool // the host's gpg-agent (its extra socket) inside
	GitConfigSet bool
	GitConfig    bool     // ~/.gitconfig and ~/.config/git read-only inside (default yes)
	Display      bool     // X11, Wayland, PipeWire/PulseAudio sockets and variables
	GPU          bool     // /dev/dri and /dev/nvidia* in the machine
	Devices      []string // Device= nodes, absolute, cleaned, under /dev
}

// WantSSHAgent reports whether the host's SSH agent is passed, given
// whether the host has one (SSH_AUTH_SOCK).
func (h Host) WantSSHAgent(hostHasAgent bool) bool {
	if h.SSHAgentSet {
		return h.SSHAgent && hostHasAgent
	}
	return hostHasAgent
}

// WantGitConfig reports whether the host's git configuration is shared.
func (h Host) WantGitConfig() bool { return !h.GitConfigSet || h.GitConfig }

func setHostBool(set func(*Host, bool)) func(p *parser, v string) *valueError {
	return func(p *parser, v string) *valueError {
		b, ok := parseBool(v)
		if !ok {
			return bad("not a boolean", "use yes or no (also true/false, 1/0, on/off)")
		}
		set(&p.f.Host, b)
		return nil
	}
}

// setDevice takes one device node: a path under /dev, as Bind= never may.
func setDevice(p *parser, v string) *valueError {
	for _, d := range strings.Fields(v) {
		if !filepath.IsAbs(d) {
			return bad("not an absolute path", "name the device node, e.g. Device=/dev/fuse")
		}
		c := filepath.Clean(d)
		if !strings.HasPrefix(c, "/dev/") || c == "/dev/pts" || strings.HasPrefix(c, "/dev/pts/") {
			return bad(d+" is not a device node under /dev", "name the device node, e.g. Device=/dev/kvm")
		}
		if strings.ContainsAny(c, ":\\ \t\"'") {
			return bad(d+" has characters a device path does not have", "")
		}
		p.f.Host.Devices = append(p.f.Host.Devices, c)
	}
	return nil
}
