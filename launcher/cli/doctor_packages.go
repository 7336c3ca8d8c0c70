package cli

import (
	"os"
	"strings"
)

// packager says how doctor's fixes install packages on this host's
// distribution: Debian's names by default, Arch's and Fedora's where they
// differ (detected from /etc/os-release, as install.sh does by tool).
type packager struct {
	install string            // the command a fix names, e.g. "sudo apt-get install"
	names   map[string]string // Debian package name to this distribution's
}

var (
	aptPackager = packager{install: "sudo apt-get install"}
	// On Arch systemd-nspawn and machined are part of systemd itself.
	pacmanPackager = packager{install: "sudo pacman -S --needed", names: map[string]string{
		"systemd-container": "systemd", "polkitd": "polkit",
	}}
	dnfPackager = packager{install: "sudo dnf install", names: map[string]string{
		"polkitd": "polkit", "debian-archive-keyring": "debian-keyring",
	}}
)

// hostPackager reads the host's os-release.
func hostPackager() packager {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		data, _ = os.ReadFile("/usr/lib/os-release") // best effort: apt names are the fallback
	}
	return packagerFor(string(data))
}

// packagerFor picks by ID, then ID_LIKE (Manjaro is like arch, Rocky like
// fedora); anything else gets apt-get, sbx's home.
func packagerFor(osRelease string) packager {
	var ids []string
	for _, line := range strings.Split(osRelease, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && (k == "ID" || k == "ID_LIKE") {
			ids = append(ids, strings.Fields(strings.Trim(v, `"'`))...)
		}
	}
	for _, id := range ids {
		switch id {
		case "debian", "ubuntu":
			return aptPackager
		case "arch":
			return pacmanPackager
		case "fedora", "rhel", "centos":
			return dnfPackager
		}
	}
	return aptPackager
}

// cmd is the command that installs the Debian-named packages here.
func (p packager) cmd(debs ...string) string {
	names := make([]string, len(debs))
	for i, d := range debs {
		names[i] = d
		if n, ok := p.names[d]; ok {
			names[i] = n
		}
	}
	return p.install + " " + strings.Join(names, " ")
}
