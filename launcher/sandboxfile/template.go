package sandboxfile

import (
	"fmt"
	"strings"
)

// Template returns the commented default .sandbox that `sbx init` writes for
// a project at root it knows nothing about. Every key is explained; every
// key is commented out, so the file means "all defaults" until the user
// changes it.
func Template(root string) string { return TemplateFor(root, nil) }

// TemplateFor is Template with what Detect found set: Packages=, Setup= and
// Environment= lines, each group under a comment saying why. The rest stays
// commented out.
func TemplateFor(root string, d Detection) string {
	pkgs := "# Packages=build-essential git\n"
	setup := "# Setup=sh -c 'apt-get update && apt-get install -y --no-install-recommends golang'\n" +
		"# Setup=sh -c 'curl -fsSL https://example.org/install.sh | sh'\n"
	env := "# Environment=GOFLAGS=-mod=mod\n"
	if len(d) > 0 {
		var b strings.Builder
		b.WriteString("# sbx init chose these for what it found in the project:\n")
		for _, n := range d {
			fmt.Fprintf(&b, "#   %s: %s\n", n.Why, n.What)
			if n.Note != "" {
				fmt.Fprintf(&b, "#     (%s)\n", n.Note)
			}
		}
		fmt.Fprintf(&b, "Packages=%s\n", strings.Join(d.Packages(), " "))
		pkgs = b.String()
	}
	if lines := d.lines(func(n Need) []string { return n.Setup }); lines != nil {
		setup = "# sbx init: for what it found in the project (see Packages= above)\n" + prefixed("Setup=", lines)
	}
	if lines := d.lines(func(n Need) []string { return n.Env }); lines != nil {
		env = "# sbx init: for what it found in the project (see Packages= above)\n" + prefixed("Environment=", lines)
	}
	r := strings.NewReplacer("@NAME@", DefaultName(root), "@PACKAGES@", pkgs, "@SETUP@", setup, "@ENV@", env)
	return r.Replace(template)
}

func (d Detection) lines(of func(Need) []string) []string {
	var out []string
	for _, n := range d {
		out = append(out, of(n)...)
	}
	return out
}

func prefixed(key string, lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(key + l + "\n")
	}
	return b.String()
}

const template = `# .sandbox — this project's development machine (sbx).
#
# The directory holding this file is the project root. sbx builds a Debian
# or Ubuntu machine for it (systemd-nspawn), binds the project into it at the
# same path, and runs your commands there as you (same user name, UID, GID),
# on the host's network.
#
# Format: like a systemd .nspawn file. [Section] headers, Key=Value lines,
# comments start with # or ;. Keys are case-sensitive. Every key is optional:
# remove the leading "# " to change a default. sbx acts on this file only
# after you trust it with 'sbx allow'; any edit needs a new 'sbx allow'.

[Machine]
# Machine name, as machinectl shows it: a-z, 0-9 and '-', at most 64 chars.
# Default: the directory name plus a hash of its path.
# Name=@NAME@

# debian or ubuntu.
# Distribution=debian

# Release codename. Default: trixie for debian, noble for ubuntu.
# Release=trixie

# Archive to install from (http or https).
# Default: http://deb.debian.org/debian, for ubuntu http://archive.ubuntu.com/ubuntu
# Mirror=http://deb.debian.org/debian

# Extra packages installed when the machine is created. Names only,
# separated by spaces; the key may be repeated.
@PACKAGES@
# Hostname inside the machine. Default: the machine name.
# Hostname=@NAME@

# Power the machine off when no shell or command has used it for this long
# (30min, 1h, 90s). Default: 0, never.
# StopWhenIdle=30min

[Exec]
# A command run once, as root, inside the new machine, in the project
# directory; repeat the key for more, they run in order. It is split into
# words like a shell would, but no shell runs it: for pipes, &&, redirections
# or $VARIABLES write Setup=sh -c '...'.
@SETUP@
# Login shell inside the machine (absolute path). Default: your host shell.
# Shell=/bin/bash

# Variables set for every command in the machine: one KEY=VALUE per line.
@ENV@
# Names of host variables passed through to commands, separated by spaces.
# PassEnvironment=SSH_AUTH_SOCK

[Files]
# More host directories or files to bind into the machine, as host[:guest];
# guest defaults to the same path. ~ is your home directory; write a ':'
# inside a path as '\:'. BindReadOnly= binds read-only.
# Bind=~/.cache/go-build
# BindReadOnly=~/.gitconfig

[Network]
# yes gives the machine a private network of its own; by default it shares
# the host's network, so servers it runs are reachable on localhost.
# Private=no

[Host]
# What of your workstation the machine may use (sbx run and sbx shell).
# The SSH agent is passed to every command, by default when you have one
# (SSH_AUTH_SOCK): the machine can use your keys while a command runs, never
# read them. GPGAgent=yes does the same for gpg-agent (its restricted extra
# socket) with your public keys, for gpg and git commit -S inside (add gnupg
# to Packages=): while a command runs the machine can ask your agent to sign
# and decrypt.
# GitConfig shows ~/.gitconfig and ~/.config/git read-only (on by default).
# Display lets GUI programs use your X11 or Wayland display and your sound
# server (they can also read that display's input). GPU gives /dev/dri and
# /dev/nvidia*; Device names any other device node, one per line. A device
# is full access to the hardware behind it.
# SSHAgent=yes
# GPGAgent=no
# GitConfig=yes
# Display=no
# GPU=no
# Device=/dev/fuse
`
