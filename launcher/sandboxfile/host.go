package sandboxfile

import (
	"fmt"
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
	// Home is the user's home the file was read for (~/.gitconfig).
	Home string
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

// setGPGAgent sets GPGAgent=: the host's gpg-agent, through its extra
// socket, for every command (see launcher/cli/hostlinks_gpg.go).
var setGPGAgent = setHostBool(func(h *Host, b bool) { h.GPGAgent = b })

// setDevice takes device nodes: paths under /dev, as Bind= never may.
func setDevice(p *parser, v string) *valueError {
	for _, d := range strings.Fields(v) {
		if err := ValidDevice(d); err != nil {
			return bad(err.Error(), "name the device node, e.g. Device=/dev/fuse")
		}
		p.f.Host.Devices = append(p.f.Host.Devices, d)
	}
	return nil
}

// ValidDevice accepts an absolute, clean path under /dev that a .nspawn
// Bind= line and a DeviceAllow= line can both hold, outside /dev/pts.
func ValidDevice(d string) error {
	switch {
	case !filepath.IsAbs(d) || filepath.Clean(d) != d:
		return fmt.Errorf("%q is not an absolute, clean path", d)
	case !strings.HasPrefix(d, "/dev/") || d == "/dev/pts" || strings.HasPrefix(d, "/dev/pts/"):
		return fmt.Errorf("%s is not a device node under /dev", d)
	case strings.ContainsAny(d, ":\\ \t\n\r\"'"):
		return fmt.Errorf("%q has characters a device path does not have", d)
	}
	return nil
}
