package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/relay"
)

// guestRuntime is the machine's side of its host runtime directory.
const guestRuntime = "/run/sbx"

// hostLinks are the per-command parts of [Host]: relays from the machine's
// runtime directory to the host's sockets (SSH agent, Wayland, sound), a
// copy of the X authority, and the variables that point at them. They live
// as long as the command; each command finds the host's sockets anew, so a
// new login or a restarted agent never leaves the machine a stale path.
type hostLinks struct {
	relays []*relay.Relay
	files  []string
	env    map[string]string
}

// linkHost sets up p's links. What the host lacks is left out; a link that
// fails is said on stderr and the command runs without it.
func (c *Ctx) linkHost(p *project) *hostLinks {
	l := &hostLinks{env: map[string]string{}}
	h := p.File.Host
	dir := builder.HostRuntimeDir(p.Name)
	if _, err := os.Stat(dir); err != nil {
		return l // no machine yet; linked again once it runs
	}
	tag := fmt.Sprint(os.Getpid())
	if sock := c.Env["SSH_AUTH_SOCK"]; h.WantSSHAgent(sock != "") && isSocket(sock) {
		l.relay(c, dir, "ssh-agent."+tag, sock, "SSH_AUTH_SOCK", "")
	}
	c.linkGPG(l, dir, tag, h.GPGAgent)
	if h.Display {
		c.linkDisplay(l, dir, tag)
	}
	return l
}

// linkDisplay passes the host's X11 display (the socket directory is bound;
// the cookie is copied per command), Wayland compositor and sound servers.
func (c *Ctx) linkDisplay(l *hostLinks, dir, tag string) {
	if d := c.Env["DISPLAY"]; d != "" {
		l.env["DISPLAY"] = d
		if xa := c.xauthority(); xa != "" {
			name := "xauth." + tag
			if err := copyXauth(xa, filepath.Join(dir, name)); err != nil {
				fmt.Fprintf(c.IO.Err, "sbx: not passing the X authority %s: %v\n", xa, err)
			} else {
				l.files = append(l.files, filepath.Join(dir, name))
				l.env["XAUTHORITY"] = guestRuntime + "/" + name
			}
		}
	}
	rt := c.Env["XDG_RUNTIME_DIR"]
	if w := c.Env["WAYLAND_DISPLAY"]; w != "" {
		if !filepath.IsAbs(w) && rt != "" {
			w = filepath.Join(rt, w)
		}
		if isSocket(w) {
			l.relay(c, dir, "wayland."+tag, w, "WAYLAND_DISPLAY", "")
		}
	}
	pulse, pass := pulseSocket(c.Env)
	switch {
	case pass != "":
		l.env["PULSE_SERVER"] = pass // a network server: the network is shared
	case isSocket(pulse):
		l.relay(c, dir, "pulse."+tag, pulse, "PULSE_SERVER", "unix:")
	}
	if s := pipewireSocket(c.Env); isSocket(s) {
		l.relay(c, dir, "pipewire."+tag, s, "PIPEWIRE_REMOTE", "")
	}
}

// pulseSocket is the PulseAudio socket the host's clients use: the first
// server of PULSE_SERVER when it is a local socket ("unix:PATH" or a path,
// after an optional {machine-id} prefix), else XDG_RUNTIME_DIR/pulse/native.
// A network server in PULSE_SERVER comes back as pass, to hand on as is.
func pulseSocket(env Env) (path, pass string) {
	if fields := strings.Fields(env["PULSE_SERVER"]); len(fields) > 0 {
		s := fields[0]
		if strings.HasPrefix(s, "{") {
			if _, rest, ok := strings.Cut(s, "}"); ok {
				s = rest
			}
		}
		if p := strings.TrimPrefix(s, "unix:"); filepath.IsAbs(p) {
			return p, ""
		}
		return "", env["PULSE_SERVER"]
	}
	if rt := env["XDG_RUNTIME_DIR"]; rt != "" {
		return filepath.Join(rt, "pulse", "native"), ""
	}
	return "", ""
}

// pipewireSocket is the PipeWire socket the host's clients use:
// PIPEWIRE_REMOTE (a path, or a name in PIPEWIRE_RUNTIME_DIR or
// XDG_RUNTIME_DIR), else pipewire-0 there.
func pipewireSocket(env Env) string {
	name := env["PIPEWIRE_REMOTE"]
	if filepath.IsAbs(name) {
		return name
	}
	if name == "" || strings.Contains(name, "/") {
		name = "pipewire-0"
	}
	for _, k := range []string{"PIPEWIRE_RUNTIME_DIR", "XDG_RUNTIME_DIR"} {
		if d := env[k]; filepath.IsAbs(d) {
			return filepath.Join(d, name)
		}
	}
	return ""
}

func (l *hostLinks) relay(c *Ctx, dir, name, target, key, prefix string) {
	r, err := relay.Start(filepath.Join(dir, name), target)
	if err != nil {
		fmt.Fprintf(c.IO.Err, "sbx: not passing %s: %v\n", key, err)
		return
	}
	l.relays = append(l.relays, r)
	l.env[key] = prefix + guestRuntime + "/" + name
}

// apply sets the links' variables in env (KEY=VALUE, as built for the
// machine), except those the command line set with -e.
func (l *hostLinks) apply(env, cmdline []string) []string {
	if len(l.env) == 0 {
		return env
	}
	mine := map[string]bool{}
	for _, kv := range cmdline {
		k, _, _ := strings.Cut(kv, "=")
		mine[k] = true
	}
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, linked := l.env[k]; !linked || mine[k] {
			out = append(out, kv)
		}
	}
	for k, v := range l.env {
		if !mine[k] {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// close ends the relays and removes the copies.
func (l *hostLinks) close() {
	for _, r := range l.relays {
		r.Close() // best effort
	}
	for _, f := range l.files {
		os.Remove(f) // best effort
	}
	l.relays, l.files = nil, nil
}

func (c *Ctx) xauthority() string {
	if x := c.Env["XAUTHORITY"]; filepath.IsAbs(x) {
		return x
	}
	if x := filepath.Join(c.home(), ".Xauthority"); fileExists(x) {
		return x
	}
	return ""
}

func isSocket(path string) bool {
	st, err := os.Stat(path)
	return filepath.IsAbs(path) && err == nil && st.Mode()&os.ModeSocket != 0
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
