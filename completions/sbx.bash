# shellcheck shell=bash
# bash completion for sbx. Installed as bash-completion's completions/sbx, or
# loaded by hand with: source <(sbx completion bash)
#
# Commands, flags and what an argument is come from the hidden
# `sbx __complete`, so this file never lists them and never goes stale.

__sbx_complete_bin='@SBX_BIN@'

# __sbx_complete_filter CUR LINE...: add each LINE's word (the part before a
# tab) that starts with CUR. Words are only compared, never expanded (no
# compgen -W, which would evaluate them).
__sbx_complete_filter() {
  local cur=$1 line word
  shift
  for line; do
    word=${line%%$'\t'*}
    [[ -n $word && $word == "$cur"* ]] && COMPREPLY+=("$word")
  done
}

_sbx() {
  local cur=${COMP_WORDS[COMP_CWORD]} i cmd='' at=0
  local -a lines=()
  COMPREPLY=()
  # The subcommand is the first word after sbx that is not a flag.
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ ${COMP_WORDS[i]} != -* ]]; then
      cmd=${COMP_WORDS[i]} at=$i
      break
    fi
  done
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t lines < <(\command "$__sbx_complete_bin" __complete flags '' 2>/dev/null)
    else
      mapfile -t lines < <(\command "$__sbx_complete_bin" __complete commands 2>/dev/null)
    fi
    __sbx_complete_filter "$cur" "${lines[@]}"
    return 0
  fi

  # What comes next, given the words typed after the subcommand.
  mapfile -t lines < <(\command "$__sbx_complete_bin" __complete args "$cmd" \
    "${COMP_WORDS[@]:at+1:COMP_CWORD-at-1}" 2>/dev/null)
  if [[ ${lines[0]-} == ":after "* ]]; then
    # sbx run ... PROGRAM ARGS: complete as if the line started at PROGRAM
    # (the host's commands and completions stand in for the machine's).
    if \builtin declare -F _command_offset >/dev/null; then
      _command_offset $((at + 1 + ${lines[0]#:after }))
    else
      mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t lines < <(\command "$__sbx_complete_bin" __complete flags "$cmd" 2>/dev/null)
    __sbx_complete_filter "$cur" "${lines[@]}"
    return 0
  fi
  case ${lines[0]-} in
    :command) mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;
    :dirs) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    :files) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    *) __sbx_complete_filter "$cur" "${lines[@]}" ;;
  esac
  return 0
}

complete -F _sbx sbx
