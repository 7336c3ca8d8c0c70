# fish completion for sbx. Installed as completions/sbx.fish, or loaded by
# hand with: sbx completion fish | source
#
# Commands, flags and what an argument is come from the hidden
# `sbx __complete`, so this file never lists them and never goes stale.

set -g __sbx_complete_bin '@SBX_BIN@'

# Prints what `sbx __complete args` says about the token under the cursor,
# or nothing before the subcommand is typed. The subcommand is the first
# token after sbx that is not a flag.
function __sbx_complete_args
    set -l toks (commandline -opc)
    for i in (seq 2 (count $toks))
        if not string match -q -- '-*' $toks[$i]
            command $__sbx_complete_bin __complete args $toks[$i..-1] 2>/dev/null
            return
        end
    end
end

# Prints how many tokens come before the program of `sbx run ... PROGRAM
# ...` once PROGRAM is typed; fails otherwise.
function __sbx_complete_prog_skip
    set -l args (__sbx_complete_args)
    string match -q -- ':after *' "$args[1]"; or return 1
    set -l toks (commandline -opc)
    for i in (seq 2 (count $toks))
        if not string match -q -- '-*' $toks[$i]
            math $i + (string replace ':after ' '' -- $args[1])
            return 0
        end
    end
    return 1
end

# Completes `sbx run ... PROGRAM ARGS` as if the line started at PROGRAM
# (the host's commands and completions stand in for the machine's).
function __sbx_complete_prog
    set -l skip (__sbx_complete_prog_skip); or return
    set -l toks (commandline -opc)
    set -l line (string escape -- $toks[(math $skip + 1)..-1])
    complete -C "$(string join ' ' -- $line) $(commandline -ct)"
end

# Prints the candidates for the token under the cursor.
function __sbx_complete_list
    set -l cur (commandline -ct)
    set -l toks (commandline -opc)
    set -l cmd
    for t in $toks[2..-1]
        if not string match -q -- '-*' $t
            set cmd $t
            break
        end
    end
    if string match -q -- '-*' $cur
        command $__sbx_complete_bin __complete flags "$cmd" 2>/dev/null
        return
    end
    if test -z "$cmd"
        command $__sbx_complete_bin __complete commands 2>/dev/null
        return
    end
    set -l args (__sbx_complete_args)
    switch "$args[1]"
        case :command
            __fish_complete_command
        case :dirs
            __fish_complete_directories $cur
        case :files
            __fish_complete_path $cur
        case '*'
            string join \n -- $args
    end
end

complete -c sbx -e
complete -c sbx -f -n 'not __sbx_complete_prog_skip >/dev/null' -a '(__sbx_complete_list)'
complete -c sbx -f -n '__sbx_complete_prog_skip >/dev/null' -a '(__sbx_complete_prog)'
