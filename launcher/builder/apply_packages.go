package builder

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/machine"
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
		opts, release, err := a.sharedAptCache(ctx)
		if err != nil {
			return err
		}
		defer release()
		argv := append([]string{"sh", "-c", aptFunc + `; sbx_apt "$@"`, "sh"}, opts...)
		err = a.g.run(ctx, func(l string) { a.r.Log(l); tail = lastLines(tail, l, 4) }, "", append(argv, add...)...)
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

// liveAptCache is where a running machine sees the host's package cache
// while apply installs into it.
const liveAptCache = "/run/sbx-apt-cache"

// sharedAptCache lends apt the host's package cache of the machine's base
// for one install, so a package is downloaded once per host: a tree has
// it bound at apt's own archive directory (treeGuest); a running machine
// gets it mounted (machined's BindMountMachine) at liveAptCache for the
// install only, named with Dir::Cache::Archives, so the machine's own
// cache is not hidden. apt checks every cached file against the signed
// index. Where the mount fails, apt uses the machine's own cache.
func (a *applier) sharedAptCache(ctx context.Context) (opts []string, release func(), err error) {
	dir := ""
	switch g := a.g.(type) {
	case treeGuest:
		dir = g.aptCache
	case agentGuest:
		dir = aptCacheOf(a.rec.Base) // the base the tree has, whatever .sandbox now says
	}
	if dir == "" {
		return nil, func() {}, nil
	}
	unlock, err := lock("apt-"+filepath.Base(dir), func() { a.r.Phase("Waiting for another install from the package cache") })
	if err != nil {
		return nil, nil, err
	}
	if !a.g.live() {
		return nil, unlock, nil
	}
	// What a killed apply or the machine's root left at the mount point
	// goes first (machined refuses to mount on a link); inside the
	// machine, so nothing there can point sbx at the host.
	tidy := `umount -q "$1" 2>/dev/null; if [ -L "$1" ]; then rm -f "$1"; fi; true`
	err = a.g.run(ctx, a.r.Log, "", "sh", "-c", tidy, "sh", liveAptCache)
	var bus *machine.Bus
	if err == nil {
		bus, err = machine.Connect(ctx)
	}
	if err == nil {
		err = bus.BindMount(ctx, a.s.Name, dir, liveAptCache, false, true)
		bus.Close()
	}
	if err != nil {
		a.r.Log("installing without the host's package cache: " + err.Error())
		return nil, unlock, nil
	}
	return []string{"-o", "Dir::Cache::Archives=" + liveAptCache + "/"}, func() {
		// Also after an interrupted install: the machine keeps no door
		// into the host's cache.
		if err := a.g.run(context.WithoutCancel(ctx), a.r.Log, "", "umount", "--", liveAptCache); err != nil {
			a.r.Log("unmounting " + liveAptCache + " in the machine: " + err.Error())
		}
		unlock()
	}, nil
}
