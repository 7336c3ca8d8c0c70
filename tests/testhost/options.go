package testhost

import (
	"fmt"
	"io"
	"time"
)

// Options says how to boot a test host. The zero value is a plain host.
type Options struct {
	// Binds are outer-machine paths made visible inside the host, e.g. the
	// repository read-only at /src.
	Binds []Bind
	// Packages are installed on top of BasePackages; they are part of the
	// cache key, so a new list builds (once) a new root filesystem.
	Packages []string
	// CacheDir holds pristine root filesystems and per-run copies;
	// default DefaultCacheDir.
	CacheDir string
	// Suite is the Debian release to boot (bookworm, trixie); default
	// DefaultSuite. Part of the cache key.
	Suite string
	// Mirror is the Debian mirror for building the root filesystem;
	// default DefaultMirror.
	Mirror string
	// Hostname of the test host; default "sbx-testhost".
	Hostname string
	// BootTimeout bounds the boot until systemd reports running or
	// degraded; default 90 s (a boot takes about a second).
	BootTimeout time.Duration
	// Log receives progress lines (building the cache, booting, closing);
	// nil discards them.
	Log io.Writer
}

// Bind makes Source on the outer machine appear at Target in the host.
type Bind struct {
	Source   string
	Target   string // default: the same path as Source
	ReadOnly bool
}

func (o *Options) withDefaults() Options {
	c := *o
	if c.CacheDir == "" {
		c.CacheDir = DefaultCacheDir
	}
	if c.Suite == "" {
		c.Suite = DefaultSuite
	}
	if c.Mirror == "" {
		c.Mirror = DefaultMirror
	}
	if c.Hostname == "" {
		c.Hostname = "sbx-testhost"
	}
	if c.BootTimeout == 0 {
		c.BootTimeout = 90 * time.Second
	}
	return c
}

func (o *Options) logf(format string, a ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", a...)
	}
}
