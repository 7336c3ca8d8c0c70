package cli

import "testing"

// TestDoctorFixesUseTheDistributionsPackages: every package a doctor fix
// names, as each distribution family's command line spells it.
func TestDoctorFixesUseTheDistributionsPackages(t *testing.T) {
	debian := `PRETTY_NAME="Debian GNU/Linux 13 (trixie)"
ID=debian
VERSION_CODENAME=trixie`
	ubuntu := "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n"
	arch := "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n"
	manjaro := "NAME=\"Manjaro Linux\"\nID=manjaro\nID_LIKE=arch\n"
	fedora := "NAME=\"Fedora Linux\"\nVERSION_ID=41\nID=fedora\n"
	rocky := "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"
	for _, c := range []struct {
		name, osRelease                        string
		container, polkit, bootstrap, keyrings string
	}{
		{"debian", debian, "sudo apt-get install systemd-container", "sudo apt-get install polkitd (or policykit-1)",
			"sudo apt-get install mmdebstrap debootstrap", "sudo apt-get install debian-archive-keyring ubuntu-keyring"},
		{"ubuntu", ubuntu, "sudo apt-get install systemd-container", "sudo apt-get install polkitd (or policykit-1)",
			"sudo apt-get install mmdebstrap debootstrap", "sudo apt-get install debian-archive-keyring ubuntu-keyring"},
		{"unknown or missing os-release", "", "sudo apt-get install systemd-container", "sudo apt-get install polkitd (or policykit-1)",
			"sudo apt-get install mmdebstrap debootstrap", "sudo apt-get install debian-archive-keyring ubuntu-keyring"},
		{"arch", arch, "sudo pacman -S --needed systemd", "sudo pacman -S --needed polkit",
			"sudo pacman -S --needed mmdebstrap debootstrap", "sudo pacman -S --needed debian-archive-keyring ubuntu-keyring"},
		{"manjaro (like arch)", manjaro, "sudo pacman -S --needed systemd", "sudo pacman -S --needed polkit",
			"sudo pacman -S --needed mmdebstrap debootstrap", "sudo pacman -S --needed debian-archive-keyring ubuntu-keyring"},
		{"fedora", fedora, "sudo dnf install systemd-container", "sudo dnf install polkit",
			"sudo dnf install mmdebstrap debootstrap", "sudo dnf install debian-keyring ubuntu-keyring"},
		{"rocky (like fedora)", rocky, "sudo dnf install systemd-container", "sudo dnf install polkit",
			"sudo dnf install mmdebstrap debootstrap", "sudo dnf install debian-keyring ubuntu-keyring"},
	} {
		d := &doctor{pkg: packagerFor(c.osRelease)}
		for _, got := range []struct{ what, got, want string }{
			{"systemd-container", d.pkg.cmd("systemd-container"), c.container},
			{"polkit", d.polkitInstall(), c.polkit},
			{"bootstrap tools", d.pkg.cmd("mmdebstrap", "debootstrap"), c.bootstrap},
			{"keyrings", d.pkg.cmd("debian-archive-keyring", "ubuntu-keyring"), c.keyrings},
		} {
			if got.got != got.want {
				t.Errorf("%s: fix for %s = %q, want %q", c.name, got.what, got.got, got.want)
			}
		}
	}
}
