package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// cacheDir holds pristine base trees, one per (distribution, release,
// architecture, mirror). A .sandbox's Packages= are layered onto a copy
// with apt, so a new package set never means a new bootstrap.
var cacheDir = filepath.Join(MachinesDir, ".sbx-cache")

// maxCacheAge bounds how stale (security updates) a cached base may be.
const maxCacheAge = 14 * 24 * time.Hour

// basePackages make a bootable, usable machine: systemd as init, D-Bus and
// logind (the seed's --include=dbus,libpam-systemd), the user's own bus
// (dbus-user-session, for the session every command joins), locales and sudo.
var basePackages = []string{"systemd", "systemd-sysv", "dbus", "dbus-user-session", "libpam-systemd", "locales", "sudo", "ca-certificates", "procps", "less"}

// baseSet is what the base tree of s is bootstrapped with.
func baseSet(s *Spec) []string {
	set := map[string]bool{}
	for _, p := range basePackages {
		set[p] = true
	}
	if s.Distribution == "ubuntu" {
		set["ubuntu-keyring"] = true
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// cacheKey names the base tree for s.
func cacheKey(s *Spec) string {
	h := sha256.Sum256([]byte(strings.Join([]string{
		"v2", s.Distribution, s.Release, s.Arch, s.Mirror, strings.Join(baseSet(s), ","),
	}, "\n")))
	return fmt.Sprintf("%s-%s-%s-%s", s.Distribution, s.Release, s.Arch, hex.EncodeToString(h[:6]))
}

// sources returns the apt source lines for the machine, with the seed's
// special cases: Ubuntu gets universe and -updates/-security, focal also
// -backports (systemd#22234).
func sources(s *Spec) []string {
	suites := []string{s.Release}
	comps := "main"
	switch s.Distribution {
	case "ubuntu":
		comps = "main universe"
		suites = append(suites, s.Release+"-updates", s.Release+"-security")
		if s.Release == "focal" {
			suites = append(suites, "focal-backports")
		}
	case "debian":
		if !map[string]bool{"sid": true, "unstable": true, "testing": true, "experimental": true}[s.Release] {
			suites = append(suites, s.Release+"-updates")
		}
	}
	var lines []string
	for _, suite := range suites {
		lines = append(lines, fmt.Sprintf("deb %s %s %s", s.Mirror, suite, comps))
	}
	return lines
}

func keyring(s *Spec) (string, error) {
	k := "/usr/share/keyrings/debian-archive-keyring.gpg"
	pkg := "debian-archive-keyring"
	if s.Distribution == "ubuntu" {
		k, pkg = "/usr/share/keyrings/ubuntu-archive-keyring.gpg", "ubuntu-keyring"
	}
	if _, err := os.Stat(k); err != nil {
		hint := fmt.Sprintf("install it on the host: sudo apt-get install %s", pkg)
		if s.Distribution == "ubuntu" {
			hint += " (Debian 12 does not package it: take ubuntu-archive-keyring.gpg from an Ubuntu system, or the ubuntu-keyring package of Debian 13, into /usr/share/keyrings/)"
		}
		return "", failf(125, hint, "the %s archive keyring %s is missing on the host", s.Distribution, k)
	}
	return k, nil
}

// archRE is a dpkg architecture name: it becomes part of a path.
var archRE = lazyRegexp(`^[a-z0-9][a-z0-9-]{0,31}$`)

// ensureBase returns a pristine base tree for s, building it when the cache
// lacks one. It is assembled under a hidden temporary name and renamed into
// the cache only when complete. The cache's lock stays held until the
// caller calls release, after copying the base: a rebuild of the same base
// (when it is too old) must not replace it during the copy.
func ensureBase(ctx context.Context, s *Spec, r *Reporter) (base string, release func(), err error) {
	if !archRE().MatchString(s.Arch) {
		return "", nil, fmt.Errorf("invalid architecture %q", s.Arch)
	}
	key := cacheKey(s)
	dir := filepath.Join(cacheDir, key)
	release, err = lock("cache-"+key, func() { r.Phase("Waiting for another build of the same base") })
	if err != nil {
		return "", nil, err
	}
	base, err = buildBase(ctx, s, key, dir, r)
	if err != nil {
		release()
		return "", nil, err
	}
	return base, release, nil
}

// buildBase is ensureBase with the cache's lock held.
func buildBase(ctx context.Context, s *Spec, key, dir string, r *Reporter) (string, error) {
	if fi, err := os.Stat(filepath.Join(dir, "etc", "os-release")); err == nil {
		if time.Since(fi.ModTime()) < maxCacheAge {
			r.Send(Event{Info: "using cached base " + key})
			return dir, nil
		}
		r.Phase("Cached base is older than 14 days; rebuilding it")
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return "", err
	}
	tmp := filepath.Join(cacheDir, ".tmp-"+key)
	if err := removeTree(tmp); err != nil {
		return "", err
	}
	if err := newTreeDir(tmp); err != nil {
		return "", err
	}
	kr, err := keyring(s)
	if err != nil {
		return "", err
	}
	if err := bootstrap(ctx, s, kr, tmp, r); err != nil {
		removeTree(tmp) // best effort: the next build cleans it too
		return "", err
	}
	// Package lists in the base: Packages= of every machine copied from it
	// are installed with apt without fetching them again.
	r.Phase("Fetching the package lists into the base")
	g := treeGuest{name: "sbx-base", root: tmp}
	if err := g.run(ctx, r.Log, "", "apt-get", "update"); err != nil {
		removeTree(tmp) // best effort
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", failf(125, "check Mirror= in .sandbox; the full log is in the journal (journalctl -u sbx-create-"+s.Name+")",
			"apt-get update in the new base failed: %v", err)
	}
	// Mark the time the base was built, for maxCacheAge.
	now := time.Now()
	os.Chtimes(filepath.Join(tmp, "etc", "os-release"), now, now) // best effort
	if err := removeTree(dir); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}

func bootstrap(ctx context.Context, s *Spec, kr, dir string, r *Reporter) error {
	pkgs := strings.Join(baseSet(s), ",")
	var argv []string
	tool := "mmdebstrap"
	if _, err := exec.LookPath("mmdebstrap"); err == nil {
		// mmdebstrap is several times faster than debootstrap (DESIGN.md).
		argv = []string{"mmdebstrap", "--mode=root", "--variant=minbase", "--format=directory",
			"--architectures=" + s.Arch, "--keyring=" + kr, "--include=" + pkgs,
			"--aptopt=Acquire::Retries \"3\"", s.Release, dir}
		argv = append(argv, sources(s)...)
	} else if _, err := exec.LookPath("debootstrap"); err == nil {
		tool = "debootstrap"
		comps := "main"
		if s.Distribution == "ubuntu" {
			comps = "main,universe"
		}
		argv = []string{"debootstrap", "--variant=minbase", "--arch=" + s.Arch, "--keyring=" + kr,
			"--components=" + comps, "--include=" + pkgs, s.Release, dir, s.Mirror}
	} else {
		return failf(125, "install it on the host: sudo apt-get install mmdebstrap (or debootstrap)",
			"neither mmdebstrap nor debootstrap is installed")
	}
	r.Phase(fmt.Sprintf("Bootstrapping %s %s (%s, %d packages)", s.Distribution, s.Release, tool, len(baseSet(s))))
	var tail []string
	err := run(ctx, baseEnv(), func(l string) {
		r.Log(l)
		tail = append(tail, l)
		if len(tail) > 8 {
			tail = tail[1:]
		}
	}, argv...)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return failf(125, "check Release=, Mirror= and Packages= in .sandbox; the full log is in the journal (journalctl -u sbx-create-"+s.Name+")",
			"%s failed (%v): %s", tool, err, strings.Join(tail, " | "))
	}
	if tool == "debootstrap" {
		return writeFile(dir, "etc/apt/sources.list", strings.Join(sources(s), "\n")+"\n", 0o644)
	}
	return nil
}
