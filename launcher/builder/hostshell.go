package builder

import (
	"context"

	"github.com/sbxdev/sbx/launcher/contract"
)

// hostShell gives the user the login shell they have on the host once a
// package brought it (and zsh its guest hook): a machine is made from the base before its
// Packages= are installed, so a zsh or fish user first gets /bin/bash.
// Shell= in the .sandbox, when set, decides instead (see shell).
func (a *applier) hostShell(ctx context.Context, ch contract.Changes) error {
	if len(ch.PackagesAdd) == 0 {
		return nil
	}
	// zsh may have come with these packages: its system zshrc (a conffile
	// of the package, so not written before it is installed) gets the
	// guest hook now, as configure gives it to a base that had zsh.
	hook := `f=/etc/zsh/zshrc; [ -f "$f" ] || exit 0; grep -qF "$2" "$f" || printf '\n%s' "$1" >>"$f"`
	if err := a.g.run(ctx, a.r.Log, "", "sh", "-c", hook, "sh", zshHook, hookMark); err != nil {
		return failf(125, "", "adding the sbx hook to the machine's /etc/zsh/zshrc: %v", err)
	}
	if a.s.Shell != "" || a.s.User.Shell == "" {
		return nil
	}
	script := `[ -x "$1" ] || exit 0; cur=$(getent passwd "$2" | cut -d: -f7); [ "$cur" = "$1" ] || usermod -s "$1" "$2" || exit; ` + quietZshScript
	if err := a.g.run(ctx, a.r.Log, "", "sh", "-c", script, "sh", a.s.User.Shell, a.s.User.Name); err != nil {
		// best effort: the user keeps a working shell, and Shell= sets one
		a.r.Send(Event{Info: "could not make " + a.s.User.Shell + " " + a.s.User.Name + "'s login shell: " + err.Error()})
	}
	return nil
}

// quietZshScript is quietZsh for a shell that became zsh after the user
// was made ($1 the shell, $2 the user), run inside the machine.
const quietZshScript = `case "$1" in */zsh) ;; *) exit 0 ;; esac; ` +
	`h=$(getent passwd "$2" | cut -d: -f6); for f in .zshenv .zprofile .zshrc .zlogin; do [ -e "$h/$f" ] && exit 0; done; ` +
	`printf '%s\n' '# Created by sbx so zsh does not run zsh-newuser-install; add your settings here.' >"$h/.zshrc" && chown "$2": "$h/.zshrc"`
