package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Context is the context every step of the command derives its own from:
// timeouts, and the signal-aware one of untilSignal. Main's is never
// cancelled (Ctrl-C ends sbx, or goes to the machine's command); tests pass
// one they cancel.
func (c *Ctx) Context() context.Context {
	if c.ctx == nil {
		return context.Background()
	}
	return c.ctx
}

// withContext is a copy of c whose steps use ctx.
func (c *Ctx) withContext(ctx context.Context) *Ctx {
	d := *c
	d.ctx = ctx
	return &d
}

// within is a copy of c whose context ends after d (no limit when d <= 0).
func (c *Ctx) within(d time.Duration) (*Ctx, context.CancelFunc) {
	if d <= 0 {
		ctx, cancel := context.WithCancel(c.Context())
		return c.withContext(ctx), cancel
	}
	ctx, cancel := context.WithTimeout(c.Context(), d)
	return c.withContext(ctx), cancel
}

// interruptSignals are the signals a step that cleans up after itself
// catches (see untilSignal).
var interruptSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// signalled is the cause of a context that a caught signal ended.
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return s.sig.String() + " signal received" }

// untilSignal returns c's context, cancelled also when sbx receives one of
// sigs (context.Cause is then a signalled). While the returned stop has not
// been called, those signals no longer end sbx, a second one included: use
// it only around a step that ends cleanly when told (the privileged helper,
// the console relay), never around a command whose Ctrl-C belongs to the
// machine (sbx run and sbx shell relay signals to it).
func (c *Ctx) untilSignal(sigs ...os.Signal) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(c.Context())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	go func() {
		select {
		case s := <-ch:
			cancel(signalled{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(context.Canceled)
	}
}

// caught is the signal that ended ctx (from untilSignal), or nil.
func caught(ctx context.Context) os.Signal {
	if s, ok := context.Cause(ctx).(signalled); ok {
		return s.sig
	}
	return nil
}

// cwd is the real directory sbx works in (machines bind projects by real
// path): -C's directory when given, else the process's. sbx never changes
// the process's own directory.
func (c *Ctx) cwd() (string, error) {
	wd := c.Dir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return "", fmt.Errorf("finding the current directory: %w", err)
		}
	}
	return filepath.EvalSymlinks(wd)
}

// abs resolves path against the directory sbx works in (see cwd), as the
// process's own calls would against its current directory.
func (c *Ctx) abs(path string) (string, error) {
	if filepath.IsAbs(path) {
		return filepath.Clean(path), nil
	}
	if c.Dir != "" {
		return filepath.Join(c.Dir, path), nil
	}
	return filepath.Abs(path)
}

// setDir applies a -C flag: later steps work in dir, which must be a
// directory one can enter. It is resolved as chdir would: relative to the
// real directory sbx works in so far, ".." after a symbolic link going to
// the link target's parent; c.Dir is its real path.
func (c *Ctx) setDir(dir string) error {
	if dir == "" {
		return nil
	}
	path := dir
	if !filepath.IsAbs(dir) {
		base, err := c.cwd()
		if err != nil {
			return fmt.Errorf("-C %s: %w", dir, err)
		}
		path = base + string(filepath.Separator) + dir // not Join, which drops "link/.." unresolved
	}
	real, err := filepath.EvalSymlinks(path)
	if err == nil {
		err = unix.Access(real, unix.X_OK) // what chdir asks of it
	}
	if err == nil {
		if fi, serr := os.Stat(real); serr != nil {
			err = serr
		} else if !fi.IsDir() {
			err = syscall.ENOTDIR
		}
	}
	if err != nil {
		return fmt.Errorf("-C %s: %w", dir, err)
	}
	c.Dir = real
	return nil
}

// execIn replaces sbx with argv[0] started in dir ("" : the current
// directory) with env. A variable so tests can see what would run. The
// chdir is the new program's, made just before sbx is replaced.
var execIn = func(dir, path string, argv, env []string) error {
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return err
		}
	}
	return syscall.Exec(path, argv, env)
}
