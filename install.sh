#!/bin/sh
# install.sh: set a host up for sbx, once, as root. Idempotent.
#
#   sudo ./install.sh [--binary PATH] [--user NAME]... [--force]
#   sudo ./install.sh --uninstall
#
# Installs systemd-container, debootstrap, keyrings, polkit and D-Bus; the
# sbx binary (/usr/local/lib/sbx/sbx, linked from /usr/local/bin/sbx), built
# from this checkout with a Go toolchain from the distribution's packages
# when there is no Go that can build it; the group "sbx" with a polkit rule
# that lets its members manage machines without a password; and shell
# completions. What it adds besides its own files (the Go packages, an apt
# source) is written to /var/lib/sbx/install.state, so --uninstall removes
# exactly that. Membership of "sbx" is root-equivalent, like the docker group.
set -eu

LIBDIR=/usr/local/lib/sbx
BIN=$LIBDIR/sbx
LINK=/usr/local/bin/sbx
STATEDIR=/var/lib/sbx
STATE=$STATEDIR/install.state
RULE=/etc/polkit-1/rules.d/50-sbx.rules
PKLA=/etc/polkit-1/localauthority/50-local.d/50-sbx.pkla
BASH_COMPLETION=/usr/local/share/bash-completion/completions/sbx
ZSH_COMPLETION=/usr/local/share/zsh/site-functions/_sbx
# Where each shell looks by default, in a plain login without XDG_DATA_DIRS:
# bash-completion searches /usr/local/share and zsh's fpath holds
# site-functions there, but Debian's fish only /usr/share/fish and /etc/fish.
# /etc/fish/completions is fish's directory for the administrator's own
# completions, as /usr/local is theirs; /usr/share belongs to packages.
FISH_COMPLETION=/etc/fish/completions/sbx.fish
FISH_COMPLETION_OLD=/usr/local/share/fish/vendor_completions.d/sbx.fish
MANPAGE=/usr/local/share/man/man1/sbx.1
# Written by sbx itself (launcher/builder/lock.go) on its first restore, rm,
# export or snapshot; it applies to every nspawn machine, so it goes with sbx.
BUSY_DROPIN=/etc/systemd/system/systemd-nspawn@.service.d/sbx-busy.conf
RUNDIR=/run/sbx
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

Without --binary it builds sbx from this checkout. When no Go on this host can
(Go 1.21 or later, which fetches the exact release go.mod names through the Go
module proxy), it installs the newest golang-1.NN-go the distribution has
(on Debian 12 from bookworm-backports, adding that apt source if missing);
--uninstall removes those again.

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

# ---- helpers ----------------------------------------------------------------

apt_updated=no
apt_update() {
	if [ "$apt_updated" = no ]; then
		apt-get update -q || die "apt-get update failed" "check the network and /etc/apt/sources.list, then re-run"
		apt_updated=yes
	fi
}
deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
deb_available() { apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -qv '(none)'; }
deb_list() { dpkg-query -W -f='${Status} ${Package}\n' | sed -n 's/^install ok installed //p' | sort; }

# The state file lists what install.sh added that is not its own file, one
# "KIND VALUE" a line (KIND: apt-source, deb, pacman, rpm), for --uninstall.
state_add() {
	mkdir -p "$STATEDIR"
	grep -qxF "$1 $2" "$STATE" 2>/dev/null || printf '%s %s\n' "$1" "$2" >>"$STATE"
}
state_get() {
	if [ -f "$STATE" ]; then sed -n "s/^$1 //p" "$STATE"; fi
}

# ---- uninstall --------------------------------------------------------------

# uninstall_added removes the packages and apt sources install.sh added. A
# package something else has come to depend on is kept: dpkg, rpm and
# pacman refuse to remove it, and we say so.
uninstall_added() {
	debs='' rpms='' pacs=''
	for p in $(state_get deb); do deb_installed "$p" && debs="$debs $p"; done
	for p in $(state_get rpm); do rpm -q "$p" >/dev/null 2>&1 && rpms="$rpms $p"; done
	for p in $(state_get pacman); do pacman -Q "$p" >/dev/null 2>&1 && pacs="$pacs $p"; done
	# shellcheck disable=SC2086 # word splitting of the package lists is intended
	{
		if [ -n "$debs" ]; then
			say "removing packages install.sh installed:$debs"
			dpkg --purge $debs || warn "kept$debs: see dpkg's reason above (remove them with apt-get purge if you like)"
		fi
		if [ -n "$rpms" ]; then
			say "removing packages install.sh installed:$rpms"
			rpm -e $rpms || warn "kept$rpms: see rpm's reason above"
		fi
		if [ -n "$pacs" ]; then
			say "removing packages install.sh installed:$pacs"
			pacman -R --noconfirm $pacs || warn "kept$pacs: see pacman's reason above"
		fi
	}
	sources=$(state_get apt-source)
	if [ -n "$sources" ]; then
		# shellcheck disable=SC2086 # one path a word, as state_add wrote them
		remove $sources
		apt-get update -qq || warn "apt-get update after removing$sources failed; run it again later"
	fi
	remove "$STATE"
}

remove() {
	for f in "$@"; do
		if [ -e "$f" ] || [ -L "$f" ]; then
			rm -rf -- "$f"
			say "removed $f"
		fi
	done
}

if [ "$uninstall" = yes ]; then
	uninstall_added
	remove "$LINK" "$LIBDIR" "$RULE" "$PKLA" "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION" "$FISH_COMPLETION_OLD" "$MANPAGE"
	if [ -e "$BUSY_DROPIN" ]; then
		remove "$BUSY_DROPIN"
		rmdir "${BUSY_DROPIN%/*}" 2>/dev/null || true
		systemctl daemon-reload || warn "systemctl daemon-reload failed; run it to forget $BUSY_DROPIN"
	fi
	# Locks and busy marks of sbx operations; none runs once sbx is gone.
	remove "$RUNDIR"
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
	say "/etc/systemd/nspawn (and their device drop-ins in"
	say "/etc/systemd/system/systemd-nspawn@NAME.service.d) were left alone (list: machinectl list-images;"
	say "remove one: machinectl remove NAME). Distribution packages that were there"
	say "before, or that sbx runs with (systemd-container, debootstrap, polkit), were kept."
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

# ---- Go toolchain -----------------------------------------------------------

# Go 1.21 and later fetch the exact release go.mod names (GOTOOLCHAIN=auto)
# through the Go module proxy, so any of them can build sbx.
GO_MIN_MINOR=21

# go_minor GO prints N for a Go 1.N.x, or fails if GO does not run.
go_minor() {
	v=$(cd / && GOTOOLCHAIN=local "$1" version 2>/dev/null) || return 1
	v=${v#go version go1.}
	v=${v%%[!0-9]*}
	[ -n "$v" ] && printf '%s\n' "$v"
}

# find_go sets go to a Go on this host that can build sbx: on PATH (sudo's
# PATH lacks /usr/local/go/bin), in /usr/local/go, or a Debian golang-1.N-go.
find_go() {
	for g in "$(command -v go || true)" /usr/local/go/bin/go /usr/lib/go-1.*/bin/go; do
		if [ -z "$g" ] || [ ! -x "$g" ]; then continue; fi
		m=$(go_minor "$g") || continue
		if [ "$m" -ge "$GO_MIN_MINOR" ]; then
			go=$g
			say "go: using $g (go1.$m)"
			return 0
		fi
		say "go: $g is go1.$m, too old to build sbx (needs go1.$GO_MIN_MINOR or later)"
	done
	return 1
}

# newest_go_deb prints the newest golang-1.N-go apt can install with N >= GO_MIN_MINOR.
newest_go_deb() {
	apt-cache pkgnames golang-1. 2>/dev/null | sed -n 's/^golang-1\.\([0-9][0-9]*\)-go$/\1/p' | sort -nr |
		while read -r m; do
			if [ "$m" -ge "$GO_MIN_MINOR" ] && deb_available "golang-1.$m-go"; then
				echo "golang-1.$m-go"
				break
			fi
		done
}

# add_backports adds DISTRO-backports from deb.debian.org when this Debian
# release has no new enough Go and the source is not configured yet.
add_backports() {
	# shellcheck disable=SC1091 # the host's own file
	codename=$(. /etc/os-release && if [ "${ID:-}" = debian ]; then echo "${VERSION_CODENAME:-}"; fi)
	[ -n "$codename" ] || return 1
	if apt-cache policy | grep -q "n=$codename-backports,"; then
		return 1 # already there, and it has no new enough Go either
	fi
	src=/etc/apt/sources.list.d/sbx-$codename-backports.list
	signed=
	if [ -f /usr/share/keyrings/debian-archive-keyring.gpg ]; then
		signed='[signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] '
	fi
	say "adding the apt source $codename-backports in $src: Debian $codename's own Go is too old to build sbx"
	printf 'deb %shttp://deb.debian.org/debian %s-backports main\n' "$signed" "$codename" >"$src"
	state_add apt-source "$src"
	apt_updated=no
	apt_update
}

install_go_apt() {
	apt_update
	pkg=$(newest_go_deb)
	if [ -z "$pkg" ] && add_backports; then
		pkg=$(newest_go_deb)
	fi
	[ -n "$pkg" ] || die "no Go 1.$GO_MIN_MINOR or later is packaged for this release, and no Go here can build sbx" \
		"install Go 1.$GO_MIN_MINOR or later (e.g. in /usr/local/go), or pass --binary PATH"
	deb_list >"$tmpdir/debs.before"
	say "installing $pkg (to build sbx; --uninstall removes it)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" ||
		die "installing $pkg failed" "fix apt (see above), then re-run install.sh"
	deb_list >"$tmpdir/debs.after"
	for p in $(comm -13 "$tmpdir/debs.before" "$tmpdir/debs.after"); do state_add deb "$p"; done
	v=${pkg#golang-}
	go=/usr/lib/go-${v%-go}/bin/go
}

# install_go installs a distribution Go and sets go to it.
install_go() {
	[ "$packages" = yes ] || die "no Go here can build sbx (go1.$GO_MIN_MINOR or later), and --no-packages says not to install one" \
		"install Go 1.$GO_MIN_MINOR or later, or pass --binary PATH"
	if command -v apt-get >/dev/null; then
		install_go_apt
	elif command -v pacman >/dev/null; then
		pacman -Q go >/dev/null 2>&1 || state_add pacman go
		say "installing go with pacman (to build sbx; --uninstall removes it)"
		pacman -S --needed --noconfirm go || die "pacman failed" "install go, then re-run"
		go=/usr/bin/go
	elif command -v dnf >/dev/null; then
		rpm -q golang >/dev/null 2>&1 || state_add rpm golang
		say "installing golang with dnf (to build sbx; --uninstall removes it)"
		dnf install -y golang || die "dnf failed" "install golang, then re-run"
		go=/usr/bin/go
	else
		die "no Go here can build sbx (go1.$GO_MIN_MINOR or later)" "install Go, or pass --binary PATH"
	fi
	if ! m=$(go_minor "$go") || [ "$m" -lt "$GO_MIN_MINOR" ]; then
		die "the Go just installed ($go) is not go1.$GO_MIN_MINOR or later" "install a newer Go, or pass --binary PATH"
	fi
	say "go: using $go (go1.$m)"
}

# build_sbx builds the checkout with $go into $tmpdir/sbx. The toolchain
# go.mod names, the modules and the build cache go to a directory of their
# own that is removed afterwards: nothing is left in root's home.
build_sbx() {
	want=$(sed -n 's/^go //p' "$here/go.mod")
	rev=$(GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0="$here" \
		git -C "$here" rev-parse --short=12 HEAD 2>/dev/null || true)
	ldflags=
	[ -z "$rev" ] || ldflags="-X github.com/sbxdev/sbx/launcher/cli.Version=devel-$rev"
	goenv=${XDG_CONFIG_HOME:-${HOME:-/root}/.config}/go/env
	[ -f "$goenv" ] || goenv=off
	say "building sbx from $here with Go $want (fetched through the Go module proxy if $go is older)"
	start=$(date +%s)
	mkdir -p "$tmpdir/go"
	(cd "$here" && env GOTOOLCHAIN=auto GOENV="$goenv" GOFLAGS=-modcacherw CGO_ENABLED=0 \
		GOPATH="$tmpdir/go/path" GOMODCACHE="$tmpdir/go/mod" GOCACHE="$tmpdir/go/cache" \
		XDG_CONFIG_HOME="$tmpdir/go/config" \
		"$go" build -trimpath -buildvcs=false -ldflags="$ldflags" -o "$tmpdir/sbx" ./cmd/sbx) ||
		die "go build failed" "fix the build (see above), or pass --binary PATH"
	say "built sbx in $(($(date +%s) - start)) s"
	rm -rf "$tmpdir/go"
}

# ---- binary -----------------------------------------------------------------

# /var/tmp, not /tmp: a build fetches a Go toolchain and modules (~300 MB)
# and /tmp is a small tmpfs on Debian 13.
tmpdir=$(mktemp -d /var/tmp/sbx-install.XXXXXX)
trap 'rm -rf "$tmpdir"' EXIT

if [ -z "$binary" ] && [ -x "$here/sbx" ] && [ ! -d "$here/sbx" ]; then
	binary=$here/sbx
fi
if [ -z "$binary" ]; then
	if [ -f "$here/go.mod" ] && grep -q '^module github.com/sbxdev/sbx$' "$here/go.mod"; then
		find_go || install_go
		build_sbx
		binary=$tmpdir/sbx
	else
		die "no sbx binary found" "pass --binary PATH, or run install.sh from an sbx checkout"
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

# Installed there by earlier versions, where fish never found it.
remove "$FISH_COMPLETION_OLD"

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
