# sbx hook for fish. Install with this line in ~/.config/fish/config.fish:
#     sbx hook fish | source
#
# On the host: when the directory changed (PWD) and the next prompt comes,
# look for a .sandbox file up the tree (with fish builtins: no fork). Inside
# a project, run `sbx shell --auto`, which prints a one-line notice for an
# untrusted project or opens a shell in the project's machine at the same
# directory. If you `cd` out of the project in there, you come back here at
# that directory; if you `exit`, you stay here and are not taken back in
# until you leave the project and come back.
#
# Inside a machine (SBX_MACHINE set): leaving the project ($SBX_PROJECT) in
# the shell that `sbx shell` started for this hook hands the new directory
# back and ends that shell; an `exit` hands back the directory it was in. Nothing here ever enters a machine from inside
# one. Non-interactive shells get nothing.

if status is-interactive

    set -g __sbx_bin '@SBX_BIN@'

    # Only the shell `sbx shell` started may hand a directory back: keep the
    # file in an unexported variable so shells started from this one do not
    # inherit it.
    if test -n "$SBX_RETURN_FILE"
        set -g __sbx_return_file $SBX_RETURN_FILE
        set -e SBX_RETURN_FILE
    end

    # Set on every directory change; the first prompt looks too.
    # Re-sourcing keeps the current value.
    set -q __sbx_dirty; or set -g __sbx_dirty 1

    # Redefining a function replaces its handler: sourcing again adds none.
    function __sbx_on_pwd --on-variable PWD
        set -g __sbx_dirty 1
    end

    # Runs before every prompt; costs one test unless the directory changed
    # (two, plus a stat, while an untrusted project waits for `sbx allow`).
    function __sbx_on_prompt --on-event fish_prompt
        test -z "$__sbx_cdfile"; or __sbx_drop_cdfile
        if test "$__sbx_dirty" != 1
            test -n "$__sbx_wait"; and not test -e "$__sbx_wait"; or return
            # `sbx allow` removed the marker: enter now, at this prompt.
            set -g __sbx_suppressed ''
        end
        set -g __sbx_dirty 0
        if test -n "$SBX_MACHINE"
            __sbx_guest
        else
            __sbx_host
        end
        set -g __sbx_dirty 0
    end

    # Sets __sbx_root to the nearest directory at or above $PWD that holds a
    # regular file .sandbox; fails if there is none. Paths travel as
    # NUL-separated output so a newline in a name stays part of it.
    function __sbx_find_root
        set -l d $PWD
        while not test -f "$d/.sandbox"
            test "$d" = /; and return 1
            set d (path dirname -Z -- $d | string split0)
        end
        set -g __sbx_root $d
    end

    # Host side: enter the project's machine, follow a directory handed back
    # (which may be inside another project: enter that one too).
    function __sbx_host
        while __sbx_find_root
            test "$__sbx_root" != "$__sbx_suppressed"; or return 0
            set -g __sbx_wait ''
            if contains -- "$SBX_AUTO_ENTER" 0 no false off
                # The same text as `sbx shell --auto` prints for auto_enter=no.
                printf 'sbx: auto-entry is off; to enter %s run: sbx shell\n' $__sbx_root >&2
                set -g __sbx_suppressed $__sbx_root
                return 0
            end
            set -l tmpdir /tmp
            test -n "$TMPDIR"; and set tmpdir $TMPDIR
            # Suppressed from now on: after an `exit` in the machine, after
            # the untrusted notice, and after Ctrl-C (then fish abandons this
            # function and the next prompt removes the cd-file).
            set -g __sbx_suppressed $__sbx_root
            set -g __sbx_cdfile (command mktemp $tmpdir/sbx-cd.XXXXXX); or return 0
            command $__sbx_bin shell --auto --cd-file $__sbx_cdfile
            set -l dir (string collect -N <$__sbx_cdfile)
            __sbx_drop_cdfile
            # "wait:MARKER": untrusted; `sbx allow` removes MARKER, and the
            # next prompt that finds it gone enters.
            if string match -q -- 'wait:/*' $dir
                set -g __sbx_wait (string sub -s 6 -- $dir | string collect)
                return 0
            end
            if test -z "$dir"; or not builtin cd $dir
                return 0
            end
        end
        set -g __sbx_suppressed ''
        set -g __sbx_wait ''
    end

    # Removes the cd-file of the last call to sbx, also when Ctrl-C cut that
    # call and this function short.
    function __sbx_drop_cdfile
        command rm -f -- $__sbx_cdfile
        set -g __sbx_cdfile ''
    end

    # Guest side, in the shell `sbx shell` started for the hook: keep $PWD
    # in the return file (an `exit` then lands the host shell there), and
    # end this shell once $PWD is outside the project.
    function __sbx_guest
        test -n "$__sbx_return_file"; and test -n "$SBX_PROJECT"; or return 0
        printf '%s' $PWD >$__sbx_return_file; or return 0
        set -l prefix (string trim -r -c / -- $SBX_PROJECT | string collect)/
        set -l head (string sub -l (string length -- $prefix) -- $PWD/ | string collect)
        test "$head" = "$prefix"; and return 0
        exit 0
    end

end
