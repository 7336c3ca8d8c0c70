package builder

import (
	"context"
	"slices"
	"strings"

	"github.com/sbxdev/sbx/launcher/contract"
)

// shell: the login shell changed, installed first if missing.
func (a *applier) shell(ctx context.Context, ch contract.Changes) error {
	if ch.Shell == "" {
		return nil
	}
	a.r.Phase("Changing " + a.s.User.Name + "'s login shell to " + ch.Shell)
	script := aptFunc + `; if [ ! -x "$1" ]; then sbx_apt "${1##*/}" || exit; fi; usermod -s "$1" "$2" || exit; ` + quietZshScript
	if err := a.g.run(ctx, a.r.Log, "", "sh", "-c", script, "sh", ch.Shell, a.s.User.Name); err != nil {
		return failf(125, "set Shell= to a shell the machine has, e.g. Shell=/bin/bash",
			"changing the login shell to %s: %v", ch.Shell, err)
	}
	a.rec.Shell = ch.Shell
	return a.save(a.meta.State)
}

// aptFunc defines sbx_apt, which installs its arguments with apt,
// updating the package lists first when there are none, and once more
// when an install fails on stale lists.
const aptFunc = `apt_install() { apt-get install -y -o APT::Install-Recommends=false -o Dpkg::Use-Pty=0 "$@"; }; ` +
	`sbx_apt() { if ! ls /var/lib/apt/lists 2>/dev/null | grep -q Packages; then apt-get update || return; fi; ` +
	`apt_install "$@" || { apt-get update && apt_install "$@"; }; }`

// packages: added ones installed, removed ones marked automatic and
// autoremoved (kept when something installed still needs them).
func (a *applier) packages(ctx context.Context, ch contract.Changes) error {
	if add := ch.PackagesAdd; len(add) > 0 {
		a.r.Phase("Installing " + strings.Join(add, " "))
		var tail []string
		if g, ok := a.g.(treeGuest); ok && g.aptCache != "" {
			release, err := lock("apt-"+filepathBase(g.aptCache), func() { a.r.Phase("Waiting for another install from the package cache") })
			if err != nil {
				return err
			}
			defer release()
		}
		err := a.g.run(ctx, func(l string) { a.r.Log(l); tail = lastLines(tail, l, 4) }, "",
			append([]string{"sh", "-c", aptFunc + `; sbx_apt "$@"`, "sh"}, add...)...)
		if err != nil {
			return failf(125, "check Packages= in .sandbox (is each name a package of "+a.rec.Base.Distribution+" "+a.rec.Base.Release+"?), then sbx allow and run again",
				"installing %s failed (%v): %s", strings.Join(add, " "), err, strings.Join(tail, " | "))
		}
	}
	var remove []string
	for _, p := range ch.PackagesRemove {
		if !slices.Contains(basePackages, p) {
			remove = append(remove, p)
		}
	}
	if len(remove) > 0 {
		a.r.Phase("Removing " + strings.Join(remove, " "))
		script := `apt-mark auto "$@" >/dev/null && apt-get autoremove -y -o Dpkg::Use-Pty=0`
		if err := a.g.run(ctx, a.r.Log, "", append([]string{"sh", "-c", script, "sh"}, remove...)...); err != nil {
			return failf(125, "", "removing %s failed: %v", strings.Join(remove, " "), err)
		}
	}
	if len(ch.PackagesAdd)+len(ch.PackagesRemove) == 0 {
		return nil
	}
	a.rec.Packages = a.want.Packages
	return a.save(a.meta.State)
}
