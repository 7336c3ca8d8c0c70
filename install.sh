#!/bin/sh
# install.sh: set a host up for sbx, once, as root. Idempotent.
#
#   sudo ./install.sh [--binary PATH] [--user NAME]... [--force]
#   sudo ./install.sh --uninstall
#
# Installs systemd-container, debootstrap, keyrings, polkit and D-Bus; the
# sbx binary (/usr/local/lib/sbx/sbx, linked from /usr/local/bin/sbx); the
# group "sbx" with a polkit rule that lets its members manage machines
# without a password; and shell completions. Membership of "sbx" is
# root-equivalent, like the docker group.
set -eu

LIBDIR=/usr/local/lib/sbx
BIN=$LIBDIR/sbx
LINK=/usr/local/bin/sbx
STATEDIR=/var/lib/sbx
RULE=/etc/polkit-1/rules.d/50-sbx.rules
PKLA=/etc/polkit-1/localauthority/50-local.d/50-sbx.pkla
BASH_COMPLETION=/usr/local/share/bash-completion/completions/sbx
ZSH_COMPLETION=/usr/local/share/zsh/site-functions/_sbx
FISH_COMPLETION=/usr/local/share/fish/vendor_completions.d/sbx.fish
MANPAGE=/usr/local/share/man/man1/sbx.1
GROUP=sbx

say() { printf '%s\n' "$*"; }
warn() { printf 'install.sh: warning: %s\n' "$*" >&2; }
die() {
	printf 'install.sh: %s\n' "$1" >&2
	shift
	for line in "$@"; do printf '  %s\n' "$line" >&2; done
	exit 1
}

usage() {
	cat <<'EOF'
Usage: sudo ./install.sh [--binary PATH] [--user NAME]... [--force]
       sudo ./install.sh --uninstall

Sets this host up for sbx: installs the packages sbx needs (systemd-container,
debootstrap, keyrings, polkit, dbus), the sbx binary, the group "sbx" and a
polkit rule letting its members start and manage machines without a password,
and shell completions. Running it again is safe.

Options:
  --binary PATH  install this sbx binary (default: ./sbx next to this script,
                 else build it with `go build` from this checkout)
  --user NAME    add NAME to group sbx (repeatable; $SUDO_USER is added too)
  --no-packages  do not install distribution packages
  --force        install even though PID 1 is not systemd (e.g. image builds)
  --uninstall    remove what install.sh added; machines are left alone
  -h, --help     show this help

Membership of group sbx is equivalent to root on this host.
EOF
}

binary=
users=
force=no
uninstall=no
packages=yes
while [ $# -gt 0 ]; do
	case $1 in
	--binary) [ $# -ge 2 ] || die "--binary needs a path"; binary=$2; shift 2 ;;
	--binary=*) binary=${1#--binary=}; shift ;;
	--user) [ $# -ge 2 ] || die "--user needs a name"; users="$users $2"; shift 2 ;;
	--user=*) users="$users ${1#--user=}"; shift ;;
	--force) force=yes; shift ;;
	--no-packages) packages=no; shift ;;
	--uninstall) uninstall=yes; shift ;;
	-h | --help) usage; exit 0 ;;
	*) die "unknown option: $1" "see: ./install.sh --help" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "this must run as root" "run: sudo $0 $*"

here=$(cd "$(dirname "$0")" && pwd)

# ---- uninstall --------------------------------------------------------------

remove() {
	for f in "$@"; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			rm -rf -- "$f"
			say "removed $f"
		fi
	done
}

if [ "$uninstall" = yes ]; then
	remove "$LINK" "$LIBDIR" "$RULE" "$PKLA" "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION" "$MANPAGE"
	# Runtime directories of existing machines stay while there are any.
	if [ -d "$STATEDIR/machines" ]; then
		if rmdir "$STATEDIR/machines" 2>/dev/null; then
			say "removed $STATEDIR/machines"
		else
			say "kept $STATEDIR/machines: it still holds machines' runtime directories"
		fi
		rmdir "$STATEDIR" 2>/dev/null || true
	fi
	if getent group "$GROUP" >/dev/null; then
		groupdel "$GROUP"
		say "removed group $GROUP"
	fi
	say ""
	say "sbx is uninstalled. Machines in /var/lib/machines and their settings in"
	say "/etc/systemd/nspawn were left alone (list: machinectl list-images;"
	say "remove one: machinectl remove NAME). Distribution packages were kept."
	exit 0
fi

# ---- checks -----------------------------------------------------------------

# sd_booted(): the canonical test for "PID 1 is systemd".
if [ ! -d /run/systemd/system ]; then
	if [ "$force" = yes ]; then
		warn "PID 1 is not systemd; installing anyway (--force). sbx needs systemd to run machines."
	else
		die "PID 1 on this host is not systemd; sbx runs machines through systemd and machined" \
			"boot the host with systemd, or pass --force to install anyway (e.g. while building an image)"
	fi
fi

# ---- packages ---------------------------------------------------------------

apt_updated=no
apt_update() {
	if [ "$apt_updated" = no ]; then
		apt-get update -q || die "apt-get update failed" "check the network and /etc/apt/sources.list, then re-run"
		apt_updated=yes
	fi
}
deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
deb_available() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -qv '(none)'; }

install_apt() {
	missing=
	for p in systemd-container debootstrap debian-archive-keyring dbus; do
		deb_installed "$p" || missing="$missing $p"
	done
	if ! deb_installed polkitd && ! deb_installed policykit-1; then
		apt_update
		# bookworm and later split polkit; older releases ship policykit-1.
		if deb_available polkitd; then missing="$missing polkitd"; else missing="$missing policykit-1"; fi
	fi
	# Optional: Ubuntu machines need ubuntu-keyring, and mmdebstrap builds
	# machines several times faster than debootstrap.
	for p in ubuntu-keyring mmdebstrap; do
		deb_installed "$p" && continue
		[ -n "$missing" ] && apt_update
		if deb_available "$p"; then
			missing="$missing $p"
		else
			say "note: $p is not available from apt here; skipped (optional)"
		fi
	done
	if [ -n "$missing" ]; then
		apt_update
		say "installing:$missing"
		# shellcheck disable=SC2086 # word splitting of the package list is intended
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing ||
			die "installing$missing failed" "fix apt (see above), then re-run install.sh"
	else
		say "packages: all present"
	fi
}

install_pacman() {
	say "installing with pacman: systemd debootstrap debian-archive-keyring ubuntu-keyring polkit"
	pacman -S --needed --noconfirm systemd debootstrap debian-archive-keyring ubuntu-keyring polkit ||
		die "pacman failed" "install systemd debootstrap debian-archive-keyring ubuntu-keyring polkit, then re-run with --no-packages"
}

install_dnf() {
	say "installing with dnf: systemd-container debootstrap polkit"
	dnf install -y systemd-container debootstrap polkit ||
		die "dnf failed" "install systemd-container debootstrap polkit, then re-run with --no-packages"
	for p in debian-keyring ubuntu-keyring; do
		dnf install -y "$p" >/dev/null 2>&1 || warn "$p is not packaged here: building machines of that distribution may fail to verify signatures"
	done
}

if [ "$packages" = yes ]; then
	if command -v apt-get >/dev/null; then
		install_apt
	elif command -v pacman >/dev/null; then
		install_pacman
	elif command -v dnf >/dev/null; then
		install_dnf
	else
		warn "unknown distribution: install systemd-container (systemd-nspawn, machinectl), debootstrap, debian-archive-keyring, polkit and dbus yourself"
	fi
fi

# ---- binary -----------------------------------------------------------------

tmpdir=$(mktemp -d)
trap 'rm -rf "$tmpdir"' EXIT

if [ -z "$binary" ] && [ -x "$here/sbx" ] && [ ! -d "$here/sbx" ]; then
	binary=$here/sbx
fi
if [ -z "$binary" ]; then
	if [ -f "$here/go.mod" ] && grep -q '^module github.com/sbxdev/sbx$' "$here/go.mod"; then
		command -v go >/dev/null || die "no sbx binary given and go is not installed to build one" \
			"pass --binary PATH, or install Go and re-run"
		say "building sbx from $here"
		(cd "$here" && CGO_ENABLED=0 go build -trimpath -o "$tmpdir/sbx" ./cmd/sbx) ||
			die "go build failed" "fix the build, or pass --binary PATH"
		binary=$tmpdir/sbx
	else
		die "no sbx binary found" "pass --binary PATH, or run install.sh from an sbx checkout with Go installed"
	fi
fi
[ -f "$binary" ] || die "--binary $binary: no such file"
"$binary" --version >/dev/null 2>&1 || die "$binary does not run as an sbx binary (sbx --version failed)"

mkdir -p "$LIBDIR" /usr/local/bin
chmod 0755 "$LIBDIR"
# Copy next to the target and rename: running machines see the binary
# (their bind of $LIBDIR) change atomically, never half written.
cp "$binary" "$LIBDIR/.sbx.new"
chmod 0755 "$LIBDIR/.sbx.new"
mv -f "$LIBDIR/.sbx.new" "$BIN"
ln -sfn "$BIN" "$LINK"
say "installed $BIN ($("$BIN" --version 2>/dev/null | head -n 1)), linked from $LINK"

mkdir -p "$STATEDIR/machines"
chown root:root "$STATEDIR" "$STATEDIR/machines"
chmod 0755 "$STATEDIR" "$STATEDIR/machines"

# ---- group and polkit -------------------------------------------------------

if getent group "$GROUP" >/dev/null; then
	say "group $GROUP: exists"
else
	groupadd --system "$GROUP"
	say "created group $GROUP"
fi

if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
	users="$SUDO_USER $users"
fi
added=
for u in $users; do
	id "$u" >/dev/null 2>&1 || die "no such user: $u" "create the user first, or drop --user $u"
	if id -nG "$u" | tr ' ' '\n' | grep -qx "$GROUP"; then
		say "user $u: already in group $GROUP"
	else
		usermod -a -G "$GROUP" "$u"
		say "added $u to group $GROUP"
		added="$added $u"
	fi
done

write_if_changed() { # PATH MODE: content on stdin
	cat >"$tmpdir/new"
	if [ -f "$1" ] && cmp -s "$tmpdir/new" "$1"; then
		say "$1: up to date"
		return
	fi
	mkdir -p "$(dirname "$1")"
	chmod "$2" "$tmpdir/new"
	mv -f "$tmpdir/new" "$1"
	say "wrote $1"
}

write_if_changed "$RULE" 0644 <<'EOF'
// Installed by sbx's install.sh. Members of group "sbx" may manage
// systemd-nspawn machines and the units that run them without a password.
// Membership of "sbx" is equivalent to root on this host.
polkit.addRule(function(action, subject) {
    if (subject.isInGroup("sbx") &&
        (action.id.indexOf("org.freedesktop.machine1.") === 0 ||
         action.id === "org.freedesktop.systemd1.manage-units" ||
         action.id === "org.freedesktop.systemd1.manage-unit-files")) {
        return polkit.Result.YES;
    }
});
EOF
# polkit before 0.106 (policykit-1 on older releases) reads no JavaScript
# rules, only .pkla files.
if [ -d /etc/polkit-1/localauthority ]; then
	write_if_changed "$PKLA" 0644 <<'EOF'
[sbx: manage machines and their units]
Identity=unix-group:sbx
Action=org.freedesktop.machine1.*;org.freedesktop.systemd1.manage-units;org.freedesktop.systemd1.manage-unit-files
ResultAny=yes
ResultInactive=yes
ResultActive=yes
EOF
fi

# ---- completions ------------------------------------------------------------

for shell in bash zsh fish; do
	case $shell in
	bash) dest=$BASH_COMPLETION ;;
	zsh) dest=$ZSH_COMPLETION ;;
	fish) dest=$FISH_COMPLETION ;;
	esac
	if "$BIN" completion "$shell" >"$tmpdir/completion" 2>"$tmpdir/completion.err" && [ -s "$tmpdir/completion" ]; then
		write_if_changed "$dest" 0644 <"$tmpdir/completion"
	else
		warn "no $shell completions: sbx completion $shell failed: $(head -n 1 "$tmpdir/completion.err")"
	fi
done

# ---- manual page -------------------------------------------------------------

if "$BIN" __man >"$tmpdir/sbx.1" 2>/dev/null && [ -s "$tmpdir/sbx.1" ]; then
	write_if_changed "$MANPAGE" 0644 <"$tmpdir/sbx.1"
else
	warn "no manual page: sbx __man failed"
fi

# ---- next steps -------------------------------------------------------------

say ""
say "sbx is installed. Next:"
if [ -n "$added" ]; then
	say "  - log out and back in (or run: newgrp $GROUP) to use the new group membership of:$added"
fi
say "  - in a project: sbx init, then sbx run make (or just cd into it with the hook)"
say "  - hook your shell:  bash: echo 'eval \"\$(sbx hook bash)\"' >> ~/.bashrc"
say "                      zsh:  echo 'eval \"\$(sbx hook zsh)\"' >> ~/.zshrc"
say "                      fish: echo 'sbx hook fish | source' >> ~/.config/fish/config.fish"
say "Members of group $GROUP can do anything root can on this host."
