#!/usr/bin/env bash
# tests/run.sh: THE one test command. As root on a Debian 12 machine:
#
#   sudo tests/run.sh
#
# Installs what the tests need, then runs formatting, vet, shellcheck, the
# unit and script tests, and the end-to-end suite in a disposable systemd
# host (tests/testhost): all of it on Debian 12, a subset on Debian 13. Every step runs; the exit status is non-zero if
# any failed. Nothing is skipped: a suite that cannot run is a failure.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
export PATH="/usr/local/go/bin:$PATH:/usr/sbin:/sbin"
export DEBIAN_FRONTEND=noninteractive

# Packages the tests use on this machine: systemd-nspawn and mmdebstrap
# boot the test host; the shells and tmux are for the hook and terminal tests.
packages=(systemd-container debootstrap mmdebstrap debian-archive-keyring
	ca-certificates util-linux coreutils procps git tmux bash zsh fish
	shellcheck direnv btrfs-progs zstd)

failed=()
summary=()

step() { # NAME COMMAND...: run one step, record its result and time
	local name=$1 start rc
	shift
	printf '\n==> %s\n' "$name"
	start=$SECONDS
	"$@"
	rc=$?
	summary+=("$(printf '%-28s %s (%ds)' "$name" "$([ $rc = 0 ] && echo ok || echo "FAILED, exit $rc")" $((SECONDS - start)))")
	[ $rc = 0 ] || failed+=("$name")
	return $rc
}

install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all present: ${packages[*]}"
		return 0
	fi
	apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
}

check_go() {
	if ! command -v go >/dev/null; then
		echo "go is not installed: install Go $(sed -n 's/^go //p' go.mod) or later at /usr/local/go" >&2
		return 1
	fi
	go version && go mod download
}

go_files() {
	find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -print0
}

check_gofmt() {
	local bad
	bad=$(go_files | xargs -0 gofmt -l) || return 1
	if [ -n "$bad" ]; then
		printf 'not gofmt-formatted (run gofmt -w):\n%s\n' "$bad" >&2
		return 1
	fi
}

check_vet() {
	go vet ./... && go vet -tags e2e ./...
}

# The OS policy (docs/ARCHITECTURE.md): every package builds on any OS
# except the ones that build and run machines, which are Linux-only.
linux_only='/launcher/builder$|/launcher/cli$|/cmd/sbx$|/tests/testhost$'

check_vet_other_os() {
	local pkgs
	pkgs=$(GOOS=darwin go list -e ./... | grep -Ev "$linux_only") || return 1
	# shellcheck disable=SC2086 # one package per word
	GOOS=darwin go vet $pkgs
}

check_mod_tidy() {
	go mod tidy -diff || {
		echo 'go.mod/go.sum are not tidy: run go mod tidy' >&2
		return 1
	}
}

shell_files() {
	{
		printf '%s\0' install.sh .ci/run
		find . \( -name '*.sh' -o -name '*.bash' \) -not -path './.git/*' -not -path '*/testdata/*' -print0
	} | sort -zu
}

check_shellcheck() {
	shell_files | xargs -0 -t shellcheck
}

if [ "$(id -u)" != 0 ]; then
	echo "tests/run.sh needs root (the end-to-end suite boots systemd-nspawn): sudo tests/run.sh" >&2
	exit 1
fi

step "install test dependencies" install_packages
step "go toolchain and modules" check_go || {
	echo "cannot continue without Go" >&2
	exit 1
}
step "gofmt" check_gofmt
step "go vet" check_vet
step "go vet, GOOS=darwin" check_vet_other_os
step "go mod tidy" check_mod_tidy
step "shellcheck" check_shellcheck
step "unit and script tests" go test -count=1 ./...
# Debian 13 (trixie): the install, lifecycle and exec tests (and the bare
# host install) run on a trixie test host too, alongside the full suite on
# Debian 12, into a log printed after it.
trixie_tests='^(TestInstall.*|TestPolkit.*|TestUninstallThenReinstall|TestCompletionsInLoginShells|TestDoctor|TestLifecycle|TestRemove|TestRun.*)$'
trixie_log=$(mktemp /tmp/sbx-e2e-trixie.XXXXXX)
SBX_E2E_SUITE=trixie go test -tags e2e -count=1 -timeout 40m -v -run "$trixie_tests" ./tests/e2e/ >"$trixie_log" 2>&1 &
trixie_pid=$!
wait_trixie() {
	local rc
	wait "$trixie_pid"
	rc=$?
	cat "$trixie_log"
	rm -f "$trixie_log"
	return $rc
}

# -p 1: one package at a time, so each boots its systemd host alone and
# the progress lines stay readable.
step "end-to-end suite" go test -tags e2e -count=1 -p 1 -timeout 40m -v ./tests/...
step "end-to-end on Debian 13" wait_trixie

printf '\n==> summary\n'
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[*]}"
	exit 1
fi
echo "all passed"
