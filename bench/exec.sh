#!/usr/bin/env bash
# Measures the exec path of `sbx run` side by side with the other ways into
# a running machine, in one run, with hyperfine (median, min, runs):
#   latency  sbx run true (as USER); nsenter -t LEADER -a true (the floor),
#            systemd-run -M NAME --wait --pipe -q true and
#            machinectl -q shell NAME /bin/true (as root: only root may)
#   pipe     1 GiB from head through `sbx run cat` vs through a host `cat`
#            (and through nsenter), to /dev/null and into another pipe
#   pty      200 MiB printed inside a pty: script -qec 'sbx run head -c 200M
#            /dev/zero' vs script -qec 'head -c 200M /dev/zero' on the host,
#            and vs script in script (two PTYs, as with sbx in script)
# and prints a Markdown report with the ratios and the targets of issue 3.
# Every command runs in each of ROUNDS rounds, the order reversed from one
# round to the next; medians are over all runs of all rounds.
#
# Run it as root inside a systemd host with sbx installed, against the
# running machine of USER's project at PROJECT_DIR (the e2e suite does this:
# go test -tags 'e2e bench' -run TestBench ./tests/e2e):
#   bench/exec.sh USER PROJECT_DIR
# ROUNDS (default 5) and the runs per round RUNS (latency, default 20),
# RUNS_PIPE and RUNS_PTY (default 2) override the counts. Installs
# hyperfine with apt if it is missing.
set -euo pipefail

if (($# != 2)); then
  echo "usage: bench/exec.sh USER PROJECT_DIR   (as root, in a host where sbx is installed)" >&2
  exit 2
fi
user=$1 dir=$2
rounds=${ROUNDS:-5} runs=${RUNS:-20} runs_pipe=${RUNS_PIPE:-2} runs_pty=${RUNS_PTY:-2}
if ((EUID != 0)); then
  echo "bench/exec.sh: run it as root (nsenter, systemd-run -M and machinectl shell need root)" >&2
  exit 1
fi
# Run in a scope of the host's systemd, where a user's shell would be: the
# machine's processes are in machine.slice, and the CPU shares that decide
# a loaded host's throughput then weigh both sides alike (started from
# outside, e.g. by nsenter, the host side would be in no cgroup of this host).
if [[ -z ${SBX_BENCH_SCOPE:-} ]]; then
  SBX_BENCH_SCOPE=1 exec systemd-run --scope --quiet --slice=user.slice --collect -- "$BASH" "$0" "$@"
fi
if ! command -v hyperfine >/dev/null; then
  apt-get install -y -q hyperfine >&2 || { apt-get update -q >&2 && apt-get install -y -q hyperfine >&2; }
fi
for tool in hyperfine sbx nsenter systemd-run machinectl script setpriv; do
  command -v "$tool" >/dev/null || { echo "bench/exec.sh: $tool is needed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-exec-bench.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
chown "$user" "$work"

# as_user CMD...: CMD as USER with a clean login environment, in the project.
as_user() {
  setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups --reset-env \
    env -C "$dir" "$@"
}

# The path under test also finds the machine: this starts it if it is not
# running, and makes sure the agent answers before anything is timed.
# shellcheck disable=SC2016 # expanded in the machine
name=$(as_user sbx run sh -c 'printf %s "$SBX_MACHINE"')
leader=$(machinectl show "$name" -p Leader --value)
[[ $name && $leader ]] || { echo "bench/exec.sh: no running machine for $dir" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# bench GROUP WHO RUNS WARMUP [-N] NAME CMD [NAME CMD]...: one hyperfine
# run of the commands as WHO (root or user), in reverse order in odd rounds;
# each run's time goes to $work/GROUP.WHO.ROUND.json. hyperfine's own report
# goes to stderr; the Markdown report is stdout.
bench() {
  local group=$1 who=$2 n=$3 warm=$4 opts=() args=() i
  shift 4
  if [[ $1 == -N ]]; then opts+=(-N) && shift; fi # no shell: the commands' own time
  local pairs=("$@")
  for ((i = 0; i < ${#pairs[@]}; i += 2)); do
    if ((round % 2)); then
      args=(-n "${pairs[i]}" "${pairs[i + 1]}" "${args[@]}")
    else
      args+=(-n "${pairs[i]}" "${pairs[i + 1]}")
    fi
  done
  local run=(hyperfine --style basic "${opts[@]}" --warmup "$warm" --runs "$n"
    --export-json "$work/$group.$who.$round.json" "${args[@]}")
  if [[ $who == root ]]; then "${run[@]}" >&2; else as_user "${run[@]}" >&2; fi
}

gib="head -c 1073741824 /dev/zero"
mib200="head -c 209715200 /dev/zero"
lat_root() {
  bench lat root "$runs" 3 -N nsenter "nsenter -t $leader -a true" \
    systemd-run "systemd-run -M $name --wait --pipe -q true" \
    machinectl "machinectl -q shell $name /bin/true"
}
lat_user() { bench lat user "$runs" 3 -N sbx "sbx run true"; }
# The shell hyperfine puts around these costs ~1 ms of ~0.3 s or more.
pipe_root() { bench pipe root "$runs_pipe" 0 nsenter-null "$gib | nsenter -t $leader -a cat >/dev/null"; }
pipe_user() {
  bench pipe user "$runs_pipe" 0 host-null "$gib | cat >/dev/null" \
    sbx-null "$gib | sbx run cat >/dev/null" \
    host-pipe "$gib | cat | cat >/dev/null" \
    sbx-pipe "$gib | sbx run cat | cat >/dev/null"
}
# script in script: two PTYs relayed by script, as sbx in script has two
# PTYs (the machine's and script's) with sbx relaying the inner one.
pty_user() {
  bench pty user "$runs_pty" 0 script "script -qec '$mib200' /dev/null >/dev/null" \
    script2 "script -qec \"script -qec '$mib200' /dev/null\" /dev/null >/dev/null" \
    sbx-script "script -qec 'sbx run $mib200' /dev/null >/dev/null"
}

# Rounds, each in the opposite order of the one before, so that a change in
# the machine's load over the run weighs on every command alike.
steps=(lat_root lat_user pipe_root pipe_user pty_user)
for ((round = 0; round < rounds; round++)); do
  echo "bench/exec.sh: round $((round + 1)) of $rounds" >&2
  for ((i = 0; i < ${#steps[@]}; i++)); do
    if ((round % 2)); then "${steps[${#steps[@]} - 1 - i]}"; else "${steps[i]}"; fi
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# Every run's time, "NAME SECONDS", sorted by name and time.
awk '/"command":/ { name = $2; gsub(/[",]/, "", name) }
  /"times": \[/ { t = 1; next }
  t && /\]/ { t = 0; next }
  t { v = $1; sub(/,$/, "", v); print name, v }' "$work"/*.json | sort -k1,1 -k2,2g >"$work/times"

# field NAME median|min|runs: over all rounds, in seconds.
field() {
  awk -v c="$1" -v what="$2" '$1 == c { t[n++] = $2 }
    END {
      if (!n) exit 1
      if (what == "runs") print n
      else if (what == "min") print t[0]
      else print (n % 2) ? t[int(n / 2)] : (t[n / 2 - 1] + t[n / 2]) / 2
    }' "$work/times"
}
ms() { awk -v s="$(field "$1" "$2")" 'BEGIN { printf "%.2f ms", s * 1000 }'; }
# mbs NAME BYTES COLUMN: throughput in MB/s (10^6 bytes) at that time.
mbs() { awk -v s="$(field "$1" "$3")" -v b="$2" 'BEGIN { printf "%.0f MB/s", b / s / 1e6 }'; }
ratio() { awk -v a="$(field "$1" median)" -v b="$(field "$2" median)" 'BEGIN { printf "%.2f", a / b }'; }
# percent A B: how fast B is next to A, from their median times.
percent() { awk -v a="$(field "$1" median)" -v b="$(field "$2" median)" 'BEGIN { printf "%.0f", a / b * 100 }'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN { ok = (op == "<=") ? v <= t : v >= t; print ok ? "met" : "**missed**" }'; }

echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $load_before before and $load_after after;"
echo "$(hyperfine --version), $(as_user sbx --version | head -1), machine $name; $rounds rounds."
echo
echo "| what | command | runs | median | best run |"
echo "|---|---|---|---|---|"
# shellcheck disable=SC2016 # the backquotes are Markdown
row() { printf '| %s | `%s` | %s | %s | %s |\n' "$1" "${2//|/\\|}" "$3" "$4" "$5"; } # \| : a pipe inside a table cell
lat() { row latency "$2" "$(field "$1" runs)" "$(ms "$1" median)" "$(ms "$1" min)"; }
thr() { row "$1" "$3" "$(field "$2" runs)" "$(mbs "$2" "$4" median)" "$(mbs "$2" "$4" min)"; }
gb=1073741824 pty=209715200
lat sbx "sbx run true (as $user)"
lat nsenter "nsenter -t LEADER -a true (root)"
lat systemd-run "systemd-run -M NAME --wait --pipe -q true (root)"
lat machinectl "machinectl -q shell NAME /bin/true (root)"
thr "pipe 1 GiB" host-null "head … | cat >/dev/null (host)" $gb
thr "pipe 1 GiB" sbx-null "head … | sbx run cat >/dev/null" $gb
thr "pipe 1 GiB" nsenter-null "head … | nsenter -t LEADER -a cat >/dev/null (root)" $gb
thr "pipe 1 GiB" host-pipe "head … | cat | cat >/dev/null (host)" $gb
thr "pipe 1 GiB" sbx-pipe "head … | sbx run cat | cat >/dev/null" $gb
thr "pty 200 MiB" script "script -qec 'head -c 200M /dev/zero' (host)" $pty
thr "pty 200 MiB" script2 "script -qec \"script -qec 'head -c 200M /dev/zero'\" (host)" $pty
thr "pty 200 MiB" sbx-script "script -qec 'sbx run head -c 200M /dev/zero'" $pty
echo
echo "| ratio (medians) | value | target | |"
echo "|---|---|---|---|"
r=$(ratio sbx nsenter)
printf '| sbx run / nsenter | %s× | ≤ 3× | %s |\n' "$r" "$(verdict "$r" '<=' 3)"
r=$(ratio machinectl sbx)
printf '| machinectl shell / sbx run | %s× | ≥ 5× | %s |\n' "$r" "$(verdict "$r" '>=' 5)"
printf '| systemd-run / sbx run | %s× | | |\n' "$(ratio systemd-run sbx)"
r=$(percent host-null sbx-null)
printf '| pipe, sbx / host (to /dev/null) | %s %% | ≥ 90 %% | %s |\n' "$r" "$(verdict "$r" '>=' 90)"
r=$(percent host-pipe sbx-pipe)
printf '| pipe, sbx / host (into a pipe) | %s %% | ≥ 90 %% | %s |\n' "$r" "$(verdict "$r" '>=' 90)"
r=$(percent script sbx-script)
printf '| pty, sbx in script / script | %s %% | ≥ 100 %% | %s |\n' "$r" "$(verdict "$r" '>=' 100)"
printf '| pty, sbx in script / script in script | %s %% | | |\n' "$(percent script2 sbx-script)"
