# shellcheck shell=bash
# A stand-in for VS Code's bash shell integration (shellIntegration-bash.sh
# in microsoft/vscode), written for sbx's tests: not a copy, but the same
# mechanics that could get in the way of sbx's hook:
#  - PROMPT_COMMAND is replaced by a function of its own that runs the old
#    value (only its first element, as VS Code does) with $? restored;
#  - a DEBUG trap marks the start of each command line, chaining a trap
#    that was there before;
#  - PS1 is wrapped in OSC 633 prompt markers.
# It counts its prompts and command starts in __fx_precmds/__fx_preexecs
# so a test can see that it still works.

[[ -n ${VSCODE_SHELL_INTEGRATION-} ]] && builtin return
VSCODE_SHELL_INTEGRATION=1

__fx_precmds=0
__fx_preexecs=0
__fx_in_command=1
__fx_status=0

__fx_restore_status() { builtin return "$1"; }

__fx_precmd() {
	__fx_precmds=$((__fx_precmds + 1))
	builtin printf '\e]633;D;%s\a\e]633;P;Cwd=%s\a' "$__fx_status" "$PWD"
	if [[ $__fx_in_command == 1 ]]; then
		if [[ ${__fx_custom_PS1-} != "$PS1" ]]; then
			__fx_custom_PS1="\[$(builtin printf '\e]633;A\a')\]$PS1\[$(builtin printf '\e]633;B\a')\]"
			PS1=$__fx_custom_PS1
		fi
		__fx_in_command=0
	fi
}

__fx_preexec() {
	if [[ $__fx_in_command == 0 ]]; then
		__fx_in_command=1
		__fx_preexecs=$((__fx_preexecs + 1))
		builtin printf '\e]633;C\a'
		[[ -z ${__fx_old_trap-} ]] || builtin eval "$__fx_old_trap"
	fi
}

__fx_prompt_cmd() {
	__fx_status=$?
	builtin local cmd
	for cmd in "${__fx_original_prompt_command[@]}"; do
		__fx_restore_status "$__fx_status"
		builtin eval "${cmd:-}"
	done
	__fx_precmd
}

# The trap already set, as its shell code (the third word of trap -p).
__fx_old_trap=$(builtin trap -p DEBUG)
if [[ -n $__fx_old_trap ]]; then
	builtin eval "__fx_terms=( $__fx_old_trap )"
	__fx_old_trap=${__fx_terms[2]-}
fi
builtin trap '__fx_preexec' DEBUG

# shellcheck disable=SC2128
__fx_original_prompt_command=${PROMPT_COMMAND-}
PROMPT_COMMAND=__fx_prompt_cmd
