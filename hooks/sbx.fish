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
            # The machine's shell gets this shell's CDPATH, so cd NAME finds
            # the same.
            set -l pass
            set -q CDPATH[1]; and set pass -e "CDPATH="(string join : -- $CDPATH)
            command $__sbx_bin shell --auto --cd-file $__sbx_cdfile $pass
            # The cd-file holds the directory to go to, or: that directory,
            # NUL, a cd the machine could not do (it has only the project),
            # NUL, its target.
            set -l parts (string split0 <$__sbx_cdfile)
            __sbx_drop_cdfile
            set -l dir "$parts[1]"
            # "wait:MARKER": untrusted; `sbx allow` removes MARKER, and the
            # next prompt that finds it gone enters.
            if string match -q -- 'wait:/*' $dir
                set -g __sbx_wait (string sub -s 6 -- $dir | string collect)
                return 0
            end
            if test -n "$dir"; and set -q parts[2]
                # If this host has no such place either, back into the machine.
                __sbx_follow $dir $parts[2] "$parts[3]"; or set -g __sbx_suppressed ''
            else if test -z "$dir"; or not builtin cd $dir
                return 0
            end
        end
        set -g __sbx_suppressed ''
        set -g __sbx_wait ''
    end

    # Does here the cd (cd, pushd, cd- for `cd -`, prevd, nextd) that the
    # machine's shell in directory dir could not do: from dir, with this
    # shell's CDPATH; `cd -`, prevd and nextd in this shell's own history.
    function __sbx_follow --argument-names dir cmd arg
        switch $cmd
            case cd-
                cd -
            case prevd nextd
                $cmd
            case cd pushd
                builtin cd -- $dir; and $cmd $arg
            case '*'
                builtin cd -- $dir
        end
    end

    # Removes the cd-file of the last call to sbx, also when Ctrl-C cut that
    # call and this function short.
    function __sbx_drop_cdfile
        command rm -f -- $__sbx_cdfile
        set -g __sbx_cdfile ''
    end

    # Guest side: only the project is bound into the machine, so a cd to a
    # sibling project or any other host directory fails here. In the shell
    # `sbx shell` started for the hook, cd (and so pushd), prevd and nextd
    # hand such a move back to the host shell (which goes there, and into
    # that project's machine if it is one) and end this shell. A cd that
    # works, or fails inside the project, is fish's own as usual.
    if test -n "$__sbx_return_file"; and test -n "$SBX_PROJECT"
        for f in cd prevd nextd
            functions -q __sbx_fish_$f; or begin
                functions -q $f; and functions -c $f __sbx_fish_$f
            end
        end
        function cd
            __sbx_leave cd $argv
        end
        function prevd
            __sbx_leave prevd $argv
        end
        function nextd
            __sbx_leave nextd $argv
        end
    end

    function __sbx_leave --argument-names cmd
        set -e argv[1]
        # Not from a command substitution ((cd x; pwd)): that is not the
        # user moving.
        if status is-command-substitution
            __sbx_fish_$cmd $argv
            return
        end
        # History is empty at the start: prevd, nextd and `cd -` then mean
        # the host shell's.
        set -l hist dirprev
        test $cmd = nextd; and set hist dirnext
        if test $cmd != cd; and not set -q argv[1]; and not set -q $hist[1]
            __sbx_hand_back $cmd ''; and return
        end
        __sbx_fish_$cmd $argv 2>/dev/null; and return 0
        set -l args $argv
        test "$args[1]" = --; and set -e args[1]
        if test $cmd = cd; and test (count $args) -eq 1; and __sbx_off_project $args[1]
            set -l what cd
            test "$args[1]" = -; and set what cd-
            __sbx_hand_back $what $args[1]; and return
        end
        __sbx_fish_$cmd $argv # again, for its own error message and status
    end

    # Writes the move for the host shell and ends this shell.
    function __sbx_hand_back --argument-names cmd arg
        printf '%s\0%s\0%s' $PWD $cmd $arg >$__sbx_return_file; and exit 0
        printf '%s' $PWD >$__sbx_return_file
        return 1
    end

    # Succeeds if cd $arg may go to a place outside the project: an
    # absolute or ./, ../ path that is outside once its .. are taken off, a
    # NAME that CDPATH may find outside, or `cd -` with no history here.
    function __sbx_off_project --argument-names arg
        switch $arg
            case -
                not set -q dirprev[1]
            case '/*'
                __sbx_outside $arg
            case . .. './*' '../*'
                __sbx_outside $PWD/$arg
            case '*'
                for e in $CDPATH
                    string match -q -- '/*' $e; and __sbx_outside $e/$arg; and return 0
                end
                return 1
        end
    end

    # Succeeds if path p, with . and .. taken off as cd does, is outside
    # $SBX_PROJECT.
    function __sbx_outside --argument-names p
        set -l prefix (string trim -r -c / -- $SBX_PROJECT | string collect)/
        set -l norm (path normalize -- $p | string collect)/
        test (string sub -l (string length -- $prefix) -- $norm | string collect) != $prefix
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
