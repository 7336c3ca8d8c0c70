# shellcheck shell=bash
# bash completion for sbx. Installed as bash-completion's completions/sbx, or
# loaded by hand with: source <(sbx completion bash)
#
# Commands, flags and what a command's arguments are come from the hidden
# `sbx __complete`, so this file never lists them and never goes stale.

__sbx_complete_bin='@SBX_BIN@'

# __sbx_complete_add CUR WHAT [ARG]: add the words `sbx __complete WHAT ARG`
# prints (descriptions cut off) that start with CUR. No eval, no compgen -W:
# a word is only ever compared, never expanded.
__sbx_complete_add() {
  local cur=$1 line word
  shift
  while IFS= read -r line; do
    word=${line%%$'\t'*}
    [[ $word == "$cur"* ]] && COMPREPLY+=("$word")
  done < <(\command "$__sbx_complete_bin" __complete "$@" 2>/dev/null)
}

_sbx() {
  local cur=${COMP_WORDS[COMP_CWORD]} i cmd='' at=0 prog=0
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
      __sbx_complete_add "$cur" flags ''
    else
      __sbx_complete_add "$cur" commands
    fi
    return 0
  fi

  local kind
  kind=$(\command "$__sbx_complete_bin" __complete args "$cmd" 2>/dev/null)
  if [[ $kind == command ]]; then
    # sbx run [FLAGS] PROGRAM ARGS...: from PROGRAM on, complete as if the
    # line started there (host commands stand in for the machine's).
    for ((i = at + 1; i < COMP_CWORD; i++)); do
      if [[ ${COMP_WORDS[i]} != -* ]]; then
        prog=$i
        break
      fi
    done
    if ((prog > 0)); then
      if \builtin declare -F _command_offset >/dev/null; then
        _command_offset "$prog"
      else
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
      fi
      return 0
    fi
  fi
  if [[ $cur == -* ]]; then
    __sbx_complete_add "$cur" flags "$cmd"
    return 0
  fi
  case $kind in
    machines | shells | commands) __sbx_complete_add "$cur" "$kind" ;;
    command) mapfile -t COMPREPLY < <(compgen -c -- "$cur") ;;
    dirs) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    files) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
  esac
  return 0
}

complete -F _sbx sbx
