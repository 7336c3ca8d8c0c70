# sbx hook for zsh. Install with this line in ~/.zshrc:
#     eval "$(sbx hook zsh)"
#
# On the host: when the directory changed (chpwd) and the next prompt comes
# (precmd), look for a .sandbox file up the tree (in zsh itself: no fork).
# Inside a project, run `sbx shell --auto`, which prints a one-line notice
# for an untrusted project or opens a shell in the project's machine at the
# same directory. If you `cd` out of the project in there, you come back here
# at that directory; if you `exit`, you stay here and are not taken back in
# until you leave the project and come back.
#
# Inside a machine (SBX_MACHINE set): leaving the project ($SBX_PROJECT) in
# the shell that `sbx shell` started for this hook hands the new directory
# back and ends that shell; an `exit` hands back the directory it was in. Nothing here ever enters a machine from inside
# one. Non-interactive shells get nothing.

if [[ -o interactive ]]; then

typeset -g __sbx_bin='@SBX_BIN@'

# Only the shell `sbx shell` started may hand a directory back: keep the
# file in an unexported variable so shells started from this one do not
# inherit it.
if [[ -n ${SBX_RETURN_FILE-} ]]; then
  typeset -g __sbx_return_file=$SBX_RETURN_FILE
  \builtin unset SBX_RETURN_FILE
fi

# Set on every directory change; the first prompt looks too. Re-sourcing
# keeps the current value.
typeset -gi __sbx_dirty=${__sbx_dirty-1}

__sbx_chpwd() {
  __sbx_dirty=1 __sbx_moved=1
}

# Runs before every prompt; costs one test unless the directory changed
# (two, plus a stat, while an untrusted project waits for `sbx allow`).
__sbx_precmd() {
  [[ -z ${__sbx_cdfile-} ]] || __sbx_drop_cdfile
  if (( ! __sbx_dirty )); then
    [[ -n ${__sbx_wait-} && ! -e $__sbx_wait ]] || \builtin return 0
    # `sbx allow` removed the marker: enter now, at this prompt.
    typeset -g __sbx_suppressed=''
  fi
  \builtin emulate -L zsh
  __sbx_dirty=0
  if [[ -n ${SBX_MACHINE-} ]]; then
    __sbx_guest
  else
    __sbx_host
  fi
}

# Sets __sbx_root to the nearest directory at or above $PWD that holds a
# regular file .sandbox; fails if there is none.
__sbx_find_root() {
  \builtin local d="${PWD%/}"
  while [[ ! -f $d/.sandbox ]]; do
    [[ -n $d ]] || \builtin return 1
    d=${d%/*}
  done
  typeset -g __sbx_root=${d:-/}
}

# Host side: enter the project's machine, follow a directory handed back
# (which may be inside another project: enter that one too).
__sbx_host() {
  \builtin local dir cmd arg
  \builtin local -a pass
  while __sbx_find_root; do
    [[ $__sbx_root != "${__sbx_suppressed-}" ]] || \builtin return 0
    typeset -g __sbx_wait=''
    case ${SBX_AUTO_ENTER-} in
      (0|no|false|off)
        # The same text as `sbx shell --auto` prints for auto_enter=no.
        \builtin printf 'sbx: auto-entry is off; to enter %s run: sbx shell\n' "$__sbx_root" >&2
        typeset -g __sbx_suppressed=$__sbx_root
        \builtin return 0
        ;;
    esac
    # Suppressed from now on: after an `exit` in the machine, after the
    # untrusted notice, and after Ctrl-C (then zsh abandons this function
    # and the next prompt removes the cd-file).
    typeset -g __sbx_suppressed=$__sbx_root
    typeset -g __sbx_cdfile
    __sbx_cdfile=$(\command mktemp "${TMPDIR:-/tmp}/sbx-cd.XXXXXX") || \builtin return 0
    # The machine's shell gets this shell's CDPATH, so cd NAME finds the same.
    pass=()
    [[ -z ${CDPATH-} ]] || pass=(-e "CDPATH=$CDPATH")
    \command "$__sbx_bin" shell --auto --cd-file "$__sbx_cdfile" "${pass[@]}"
    # The cd-file holds the directory to go to, or: that directory, NUL, a
    # cd the machine could not do (it has only the project), NUL, its target.
    dir='' cmd='' arg=''
    {
      IFS= \builtin read -r -d '' dir
      IFS= \builtin read -r -d '' cmd
      IFS= \builtin read -r -d '' arg
    } <"$__sbx_cdfile"
    __sbx_drop_cdfile
    # "wait:MARKER": untrusted; `sbx allow` removes MARKER, and the next
    # prompt that finds it gone enters.
    if [[ $dir == wait:/* ]]; then
      __sbx_wait=${dir#wait:}
      \builtin return 0
    fi
    if [[ -n $dir && -n $cmd ]]; then
      # If this host has no such place either, back into the machine.
      __sbx_follow "$dir" "$cmd" "$arg" || typeset -g __sbx_suppressed=''
    # -q: no chpwd hooks for this cd; the loop looks at the new place itself.
    elif [[ -z $dir ]] || ! \builtin cd -q -- "$dir"; then
      \builtin return 0
    fi
  done
  typeset -g __sbx_suppressed='' __sbx_wait=''
}

# Does here the cd ($2: cd, pushd, or cd- for `cd -`) to $3 that the
# machine's shell in directory $1 could not do: from $1, with this shell's
# cdpath; `cd -` from where this shell was, to its own previous directory.
# -q: no chpwd hooks; the caller's loop looks at the new place itself.
__sbx_follow() {
  case $2 in
    (cd-) \builtin cd - ;;
    (cd) \builtin cd -q -- "$1" && \builtin cd -q -- "$3" ;;
    (pushd) \builtin cd -q -- "$1" && \builtin pushd -q -- "$3" ;;
    (*) \builtin cd -q -- "$1" ;;
  esac
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
  [[ $PWD/ == ${SBX_PROJECT%/}/* ]] && \builtin return 0
  \builtin exit 0
}

# Guest side: only the project is bound into the machine, so a cd to a
# sibling project or any other host directory fails here. In the shell
# `sbx shell` started for the hook, cd, chdir and pushd hand such a cd back
# to the host shell (which goes there, and into that project's machine if
# it is one) and end this shell. A cd that works, or fails inside the
# project, is the builtin's as usual.
if [[ -n ${__sbx_return_file-} && -n ${SBX_PROJECT-} ]]; then
  # A failing builtin runs again from here, for its own message and $?.
  cd() { __sbx_leave cd "$@" || \builtin cd "$@"; }
  chdir() { __sbx_leave cd "$@" || \builtin cd "$@"; }
  pushd() { __sbx_leave pushd "$@" || \builtin pushd "$@"; }
fi

__sbx_leave() {
  \builtin local cmd=$1 arg='' a
  \builtin integer opts=1 n=0
  \builtin shift
  # zsh starts with OLDPWD=$PWD: `cd -` before any cd here means the host's.
  # Not from a subshell ($(cd x && pwd)): that is not the user moving.
  (( ZSH_SUBSHELL == 0 )) || \builtin return 1
  if [[ $cmd == cd && $# == 1 && $1 == - && -z ${__sbx_moved-} ]]; then
    \builtin printf '%s\0cd-\0-' "$PWD" >"$__sbx_return_file" && \builtin exit 0
  fi
  \builtin "$cmd" "$@" 2>/dev/null && \builtin return 0
  for a in "$@"; do
    if (( opts )) && [[ $a == -?* || $a == +* ]]; then
      [[ $a == -- ]] && opts=0
      [[ $a == [-+][0-9]* ]] && n=9 # the directory stack: not a place
      continue
    fi
    n+=1 arg=$a
  done
  if (( n == 1 )) && __sbx_off_project "$cmd" "$arg"; then
    [[ $cmd == cd && $arg == - ]] && cmd=cd-
    \builtin printf '%s\0%s\0%s' "$PWD" "$cmd" "$arg" >"$__sbx_return_file" && \builtin exit 0
    # exit refused (running jobs): an exit later must not do the cd.
    \builtin printf '%s' "$PWD" >"$__sbx_return_file"
  fi
  \builtin return 1
}

# Succeeds if cd $2 may go to a place outside the project: an absolute or
# ./, ../ path that is outside once its .. are taken off, a NAME that
# cdpath may find outside, or `cd -` with no previous directory here.
__sbx_off_project() {
  \builtin emulate -L zsh
  \builtin local e
  case $2 in
    (-) [[ $1 == cd && ( -z ${OLDPWD-} || -z ${__sbx_moved-} ) ]] ;;
    (/*) __sbx_outside "$2" ;;
    (.|..|./*|../*) __sbx_outside "$PWD/$2" ;;
    (*)
      for e in $cdpath; do
        [[ $e == /* ]] && __sbx_outside "$e/$2" && \builtin return 0
      done
      \builtin return 1
      ;;
  esac
}

# Succeeds if path $1, with . and .. taken off as cd does, is outside
# $SBX_PROJECT.
__sbx_outside() {
  \builtin emulate -L zsh
  \builtin local rest=$1/ out='' c
  while [[ -n $rest ]]; do
    c=${rest%%/*} rest=${rest#*/}
    case $c in
      (''|.) ;;
      (..) out=${out%/*} ;;
      (*) out=$out/$c ;;
    esac
  done
  [[ ${out:-/}/ != ${SBX_PROJECT%/}/* ]]
}

# add-zsh-hook adds each function once, however often this is sourced.
\builtin autoload -Uz add-zsh-hook
add-zsh-hook chpwd __sbx_chpwd
add-zsh-hook precmd __sbx_precmd

fi
