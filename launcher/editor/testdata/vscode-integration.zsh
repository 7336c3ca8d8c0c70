# A stand-in for VS Code's zsh shell integration (shellIntegration-rc.zsh in
# microsoft/vscode), written for sbx's tests: not a copy, but the same
# mechanics: precmd and preexec hooks through add-zsh-hook, and PS1 wrapped
# in OSC 633 markers before each prompt and restored before each command.
# It counts prompts and command starts in __fx_precmds/__fx_preexecs.

[[ -n ${VSCODE_SHELL_INTEGRATION-} ]] && builtin return
VSCODE_SHELL_INTEGRATION=1
builtin autoload -Uz add-zsh-hook

__fx_precmds=0
__fx_preexecs=0
__fx_in_command=1

__fx_precmd() {
	builtin local st=$?
	(( __fx_precmds++ ))
	builtin printf '\e]633;D;%s\a\e]633;P;Cwd=%s\a' "$st" "$PWD"
	if [[ -n $__fx_in_command ]]; then
		__fx_prior_PS1=$PS1
		PS1="%{$(builtin printf '\e]633;A\a')%}$PS1%{$(builtin printf '\e]633;B\a')%}"
		__fx_in_command=
	fi
}

__fx_preexec() {
	PS1=$__fx_prior_PS1
	__fx_in_command=1
	(( __fx_preexecs++ ))
	builtin printf '\e]633;C\a'
}

add-zsh-hook precmd __fx_precmd
add-zsh-hook preexec __fx_preexec
