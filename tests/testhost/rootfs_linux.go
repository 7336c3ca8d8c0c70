package testhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// BasePackages is what every test host has: systemd with machined, D-Bus
// and polkit (so nested machines start and a polkit user can drive them),
// the tools sbx builds machines with, and the shells and tools the
// interactive tests use. Changing it changes the cache key, so the next Boot
// builds a new root filesystem.
var BasePackages = []string{
	"dbus", "systemd", "systemd-sysv", "libpam-systemd", "systemd-container",
	"debootstrap", "mmdebstrap", "polkitd", "sudo", "tmux", "zsh", "fish",
	"bash-completion", "procps", "iproute2", "ca-certificates",
	"debian-archive-keyring", "locales", "passwd", "login", "util-linux",
	"git", "make", "psmisc", "less", "direnv", "hyperfine", "libnss-extrausers",
}

const (
	// DefaultCacheDir holds the pristine root filesystems and the running hosts' copies.
	DefaultCacheDir = "/var/cache/sbx-e2e"
	// DefaultMirror is where mmdebstrap fetches the test host's packages.
	DefaultMirror = "http://deb.debian.org/debian"
	// DefaultSuite is the Debian release of a test host unless Options say.
	DefaultSuite = "bookworm"
	// recipeVersion is part of the cache key: bump it when the build steps
	// change in a way the package list does not show.
	recipeVersion = "1"
	// buildTimeout bounds mmdebstrap (measured: 40-60 s).
	buildTimeout = 10 * time.Minute
)

// cacheKey names a pristine root filesystem by everything that shaped it.
func cacheKey(suite, mirror string, packages []string) string {
	pkgs := slices.Clone(packages)
	slices.Sort(pkgs)
	pkgs = slices.Compact(pkgs)
	sum := sha256.Sum256([]byte(strings.Join([]string{
		"recipe=" + recipeVersion, "suite=" + suite, "variant=minbase",
		"mirror=" + mirror, "packages=" + strings.Join(pkgs, ","),
	}, "\n")))
	return suite + "-" + hex.EncodeToString(sum[:])[:16]
}

// ensureRootfs returns the pristine root filesystem for the package list,
// building it with mmdebstrap when it is not cached yet. A file lock makes
// concurrent Boots build it once; the tree appears under its final name only
// when complete, so an interrupted build is never mistaken for a cache hit.
func ensureRootfs(ctx context.Context, o *Options, packages []string) (string, error) {
	dir := filepath.Join(o.CacheDir, "rootfs")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the test host cache: %w", err)
	}
	key := cacheKey(o.Suite, o.Mirror, packages)
	final := filepath.Join(dir, key)
	if _, err := os.Stat(filepath.Join(final, "etc", "os-release")); err == nil {
		return final, nil
	}

	unlock, err := lockFile(ctx, final+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(final, "etc", "os-release")); err == nil {
		return final, nil // another process built it while we waited
	}

	tmp := final + ".building"
	if err := os.RemoveAll(tmp); err != nil {
		return "", fmt.Errorf("removing a stale test host build %s: %w", tmp, err)
	}
	o.logf("testhost: building the test host root filesystem %s (mmdebstrap, about a minute)", key)
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(bctx, "mmdebstrap", "--variant=minbase",
		"--include="+strings.Join(packages, ","), o.Suite, tmp, o.Mirror)
	out, err := cmd.CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(tmp) // best effort: the next build starts clean anyway
		return "", fmt.Errorf("building the test host root filesystem with mmdebstrap: %w\n%s\n"+
			"check that mmdebstrap is installed (apt-get install mmdebstrap) and %s is reachable",
			err, tail(string(out), 40), o.Mirror)
	}
	note := fmt.Sprintf("built by sbx tests/testhost\nsuite=%s mirror=%s\npackages=%s\n",
		o.Suite, o.Mirror, strings.Join(packages, " "))
	if err := os.WriteFile(filepath.Join(dir, key+".txt"), []byte(note), 0o644); err != nil {
		return "", fmt.Errorf("writing the cache note: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("moving the finished test host root filesystem into the cache: %w", err)
	}
	o.logf("testhost: built %s in %s", key, time.Since(start).Round(time.Second))
	return final, nil
}

// lockFile takes an exclusive flock on path, polling so ctx can end the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if err != syscall.EWOULDBLOCK {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another test run building the test host (%s): %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// copyTree makes the per-run copy of the pristine tree: a reflink where the
// file system can, a plain copy (measured 3-5 s) otherwise.
func copyTree(ctx context.Context, src, dst string) error {
	out, err := exec.CommandContext(ctx, "cp", "-a", "--reflink=auto", src, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("copying the test host root filesystem to %s: %w: %s", dst, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// personalize writes the per-run identity files of a fresh copy.
func personalize(root, hostname string) error {
	files := map[string]string{
		"etc/hostname": hostname + "\n",
		"etc/hosts": "127.0.0.1\tlocalhost " + hostname + "\n" +
			"::1\t\tlocalhost ip6-localhost ip6-loopback\n",
		// An empty machine-id makes systemd derive it from the container
		// UUID, so every run has its own.
		"etc/machine-id": "",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("preparing the test host copy: %w", err)
		}
	}
	return nil
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
