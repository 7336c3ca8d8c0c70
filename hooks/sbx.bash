# shellcheck shell=bash
# sbx hook for bash. Install with this line in ~/.bashrc:
#     eval "$(sbx hook bash)"
#
# On the host: when the directory changed since the last prompt, look for a
# .sandbox file up the tree (in bash itself: no fork). Inside a project, run
# `sbx shell --auto`, which prints a one-line notice for an untrusted project
# or opens a shell in the project's machine at the same directory. If you
# `cd` out of the project in there, you come back here at that directory;
# if you `exit`, you stay here and are not taken back in until you leave the
# project and come back.
#
# Inside a machine (SBX_MACHINE set): leaving the project ($SBX_PROJECT) in
# the shell that `sbx shell` started for this hook hands the new directory
# back and ends that shell; an `exit` hands back the directory it was in. Nothing here ever enters a machine from inside
# one. Non-interactive shells get nothing.

if [[ $- == *i* ]]; then

__sbx_bin='@SBX_BIN@'

# Only the shell `sbx shell` started may hand a directory back: keep the
# file in an unexported variable so shells started from this one do not
# inherit it.
if [[ -n ${SBX_RETURN_FILE-} ]]; then
  __sbx_return_file=$SBX_RETURN_FILE
  \builtin unset SBX_RETURN_FILE
fi

# Runs before every prompt; costs two string compares unless $PWD changed
# (three, plus a stat, while an untrusted project waits for `sbx allow`).
__sbx_hook() {
  \builtin local __sbx_status=$?
  [[ -z ${__sbx_cdfile-} ]] || __sbx_drop_cdfile
  if [[ ${__sbx_pwd-} != "$PWD" ]]; then
    __sbx_pwd=$PWD
    if [[ -n ${SBX_MACHINE-} ]]; then
      __sbx_guest
    else
      __sbx_host
    fi
  elif [[ -n ${__sbx_wait-} && ! -e $__sbx_wait ]]; then
    # `sbx allow` removed the marker: enter now, at this prompt.
    __sbx_suppressed=''
    __sbx_host
  fi
  \builtin return "$__sbx_status"
}

# Sets __sbx_root to the nearest directory at or above $PWD that holds a
# regular file .sandbox; fails if there is none.
__sbx_find_root() {
  \builtin local d="${PWD%/}"
  while [[ ! -f $d/.sandbox ]]; do
    [[ -n $d ]] || \builtin return 1
    d=${d%/*}
  done
  __sbx_root=${d:-/}
}

# Host side: enter the project's machine, follow a directory handed back
# (which may be inside another project: enter that one too).
__sbx_host() {
  \builtin local dir
  while __sbx_find_root; do
    [[ $__sbx_root != "${__sbx_suppressed-}" ]] || \builtin return 0
    __sbx_wait=''
    case ${SBX_AUTO_ENTER-} in
      0 | no | false | off)
        # The same text as `sbx shell --auto` prints for auto_enter=no.
        \builtin printf 'sbx: auto-entry is off; to enter %s run: sbx shell\n' "$__sbx_root" >&2
        __sbx_suppressed=$__sbx_root
        \builtin return 0
        ;;
    esac
    # Suppressed from now on: after an `exit` in the machine, after the
    # untrusted notice, and after Ctrl-C (then bash abandons this function
    # and the next prompt removes the cd-file).
    __sbx_suppressed=$__sbx_root
    __sbx_cdfile=$(\command mktemp "${TMPDIR:-/tmp}/sbx-cd.XXXXXX") || \builtin return 0
    \command "$__sbx_bin" shell --auto --cd-file "$__sbx_cdfile"
    dir=''
    IFS= \builtin read -r -d '' dir <"$__sbx_cdfile"
    __sbx_drop_cdfile
    # "wait:MARKER": untrusted; `sbx allow` removes MARKER, and the next
    # prompt that finds it gone enters.
    if [[ $dir == wait:/* ]]; then
      __sbx_wait=${dir#wait:}
      \builtin return 0
    fi
    if [[ -z $dir ]] || ! \builtin cd -- "$dir"; then
      \builtin return 0
    fi
    __sbx_pwd=$PWD
  done
  __sbx_suppressed=
  __sbx_wait=''
}

# Removes the cd-file of the last call to sbx, also when Ctrl-C cut that
# call and this function short.
__sbx_drop_cdfile() {
  \command rm -f -- "$__sbx_cdfile"
  __sbx_cdfile=''
}

# Guest side, in the shell `sbx shell` started for the hook: keep $PWD in
# the return file (an `exit` then lands the host shell there), and end
# this shell once $PWD is outside the project.
__sbx_guest() {
  [[ -n ${__sbx_return_file-} && -n ${SBX_PROJECT-} ]] || \builtin return 0
  \builtin printf '%s' "$PWD" >"$__sbx_return_file" || \builtin return 0
  case $PWD/ in
    "${SBX_PROJECT%/}"/*) \builtin return 0 ;;
  esac
  \builtin exit 0
}

# Install once. With bash-preexec, join its precmd_functions (it wants its
# own entries first and last in PROMPT_COMMAND); otherwise go first in
# PROMPT_COMMAND, which may be a string or, from bash 5.1, an array.
if [[ -n ${bash_preexec_imported-}${__bp_imported-} ]]; then
  if [[ " ${precmd_functions[*]-} " != *" __sbx_hook "* ]]; then
    precmd_functions+=(__sbx_hook)
  fi
elif [[ " ${PROMPT_COMMAND[*]-} " != *__sbx_hook* ]]; then
  if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)) && [[ ${PROMPT_COMMAND@a} == *a* ]]; then
    PROMPT_COMMAND=(__sbx_hook "${PROMPT_COMMAND[@]}")
  else
    # Before 5.1 only element 0 of an array runs, and this assigns to it.
    # shellcheck disable=SC2128,SC2178
    PROMPT_COMMAND="__sbx_hook${PROMPT_COMMAND:+$'\n'$PROMPT_COMMAND}"
  fi
fi

fi
