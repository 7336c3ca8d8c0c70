# fish completion for sbx. Installed as completions/sbx.fish, or loaded by
# hand with: sbx completion fish | source
#
# Commands, flags and what a command's arguments are come from the hidden
# `sbx __complete`, so this file never lists them and never goes stale.

set -g __sbx_complete_bin '@SBX_BIN@'

# Prints the index (in the tokens before the cursor, sbx being 1) of the
# subcommand, the first token that is not a flag; fails if there is none yet.
function __sbx_complete_at
    set -l toks (commandline -opc)
    for i in (seq 2 (count $toks))
        if not string match -q -- '-*' $toks[$i]
            echo $i
            return 0
        end
    end
    return 1
end

# Prints how many tokens come before the program of `sbx run [FLAGS]
# PROGRAM ...` once PROGRAM is typed; fails otherwise.
function __sbx_complete_prog_skip
    set -l at (__sbx_complete_at); or return 1
    set -l toks (commandline -opc)
    test (command $__sbx_complete_bin __complete args $toks[$at] 2>/dev/null) = command; or return 1
    for i in (seq (math $at + 1) (count $toks))
        if not string match -q -- '-*' $toks[$i]
            math $i - 1
            return 0
        end
    end
    return 1
end

# Prints the candidates for the token under the cursor.
function __sbx_complete_list
    set -l cur (commandline -ct)
    set -l at (__sbx_complete_at)
    if test -z "$at"
        if string match -q -- '-*' $cur
            command $__sbx_complete_bin __complete flags '' 2>/dev/null
        else
            command $__sbx_complete_bin __complete commands 2>/dev/null
        end
        return
    end
    set -l cmd (commandline -opc)[$at]
    if string match -q -- '-*' $cur
        command $__sbx_complete_bin __complete flags $cmd 2>/dev/null
        return
    end
    set -l kind (command $__sbx_complete_bin __complete args $cmd 2>/dev/null)
    switch "$kind"
        case machines shells commands
            command $__sbx_complete_bin __complete $kind 2>/dev/null
        case command
            __fish_complete_command
        case dirs
            __fish_complete_directories $cur
        case files
            __fish_complete_path $cur
    end
end

complete -c sbx -e
complete -c sbx -f -n 'not __sbx_complete_prog_skip >/dev/null' -a '(__sbx_complete_list)'
complete -c sbx -f -n '__sbx_complete_prog_skip >/dev/null' -a '(__fish_complete_subcommand --fcs-skip=(__sbx_complete_prog_skip))'
