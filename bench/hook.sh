#!/usr/bin/env bash
# Measures what the sbx shell hook adds to bash and zsh, side by side with
# direnv's hook, in one run:
#   prompt      a prompt without a directory change
#   cd-out      a cd between two directories outside any project
#   untrusted   a cd into an untrusted project (.sandbox and .envrc) and back out
# Each case feeds N command lines to an interactive shell (-i, so the prompt
# hooks run before every line) and times the whole shell with hyperfine;
# the added cost per line is (median - median without a hook) / N.
#
# Usage: bench/hook.sh [SBX_BINARY]   (default: builds ./cmd/sbx)
# Needs: hyperfine, direnv, bash, zsh, setsid. Prints a Markdown table.
# N_PROMPT, N_CD, N_UNTRUSTED and RUNS override the counts.
set -euo pipefail

for tool in hyperfine direnv bash zsh setsid; do
  command -v "$tool" >/dev/null || { echo "bench/hook.sh: $tool is needed (apt-get install $tool)" >&2; exit 1; }
done
n_prompt=${N_PROMPT:-200} n_cd=${N_CD:-200} n_untrusted=${N_UNTRUSTED:-40} runs=${RUNS:-3}

work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-hook-bench.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
sbx=${1:-}
if [[ -z $sbx ]]; then
  sbx=$work/sbx
  (cd "$repo" && go build -o "$sbx" ./cmd/sbx)
fi

# A home of its own: nothing trusted or allowed, no rc files.
export HOME=$work/home XDG_DATA_HOME=$work/home/.local/share XDG_CONFIG_HOME=$work/home/.config
export TMPDIR=$work/tmp
src=$work/home/src
mkdir -p "$HOME" "$TMPDIR" "$src/a/deep/er" "$src/b/deep/er" "$src/proj/deep/er"
printf '[Machine]\n' >"$src/proj/.sandbox"
printf 'export FOO=1\n' >"$src/proj/.envrc"

for sh in bash zsh; do
  : >"$work/none.$sh"
  direnv hook "$sh" >"$work/direnv.$sh"
  "$sbx" hook "$sh" >"$work/sbx.$sh"
done

# lines KIND N: the command lines a case feeds to the shell.
lines() {
  local i
  for ((i = 0; i < $2; i += 2)); do
    case $1 in
      prompt) printf ':\n:\n' ;;
      cd-out) printf 'cd %s\ncd %s\n' "$src/a/deep/er" "$src/b/deep/er" ;;
      untrusted) printf 'cd %s\ncd %s\n' "$src/proj/deep/er" "$src/a/deep/er" ;;
    esac
  done
}

declare -A count=([prompt]=$n_prompt [cd-out]=$n_cd [untrusted]=$n_untrusted)
for kind in prompt cd-out untrusted; do
  for sh in bash zsh; do
    for hook in none direnv sbx; do
      { printf 'source %s\ncd %s\n' "$work/$hook.$sh" "$src/a"; lines "$kind" "${count[$kind]}"; } >"$work/in.$kind.$sh.$hook"
    done
  done
done

# setsid: an interactive shell must not find a controlling terminal it is
# not in the foreground of (zsh then spins trying to take it over).
declare -A start=([bash]="setsid -w bash --noprofile --norc -i" [zsh]="setsid -w zsh -f -i")
echo "sbx hook benchmark: $(bash --version | head -1 | sed 's/ (.*//'), $(zsh --version | cut -d' ' -f1-2), direnv $(direnv version), $(nproc) cores" >&2
for kind in prompt cd-out untrusted; do
  for sh in bash zsh; do
    args=()
    for hook in none direnv sbx; do
      args+=(-n "$hook" "${start[$sh]} <$work/in.$kind.$sh.$hook >/dev/null 2>&1")
    done
    hyperfine --style basic --runs "$runs" --warmup 1 --export-csv "$work/$kind.$sh.csv" "${args[@]}" >&2
  done
done

# Medians in seconds from hyperfine's CSV (command,mean,stddev,median,...).
median() { awk -F, -v c="$1" '$1 == c { print $4 }' "$2"; }

printf '| shell | case | lines | no hook, ms/line | direnv added, ms/line | sbx added, ms/line | sbx vs no hook | sbx added / direnv added |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for kind in prompt cd-out untrusted; do
  for sh in bash zsh; do
    f=$work/$kind.$sh.csv n=${count[$kind]}
    awk -v sh="$sh" -v kind="$kind" -v n="$n" -v none="$(median none "$f")" \
      -v direnv="$(median direnv "$f")" -v sbx="$(median sbx "$f")" 'BEGIN {
        da = (direnv - none) * 1000 / n; sa = (sbx - none) * 1000 / n
        printf "| %s | %s | %d | %.3f | %+.3f | %+.3f | %.2fx | %s |\n", sh, kind, n, none * 1000 / n, da, sa, sbx / none,
          (da > 0 ? sprintf("%.2f", sa / da) : "n/a")
      }'
  done
done
