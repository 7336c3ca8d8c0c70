package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// cleanMarker tells the re-executed agent that its signal state is clean.
const cleanMarker = "SBX_AGENT_CLEAN"

// DaemonOptions configure Daemon.
type DaemonOptions struct {
	Listen     string            // socket path; empty: take the socket systemd passed
	ConfigPath string            // default DefaultConfigPath
	Env        map[string]string // the process environment
	Log        io.Writer         // diagnostics (the journal)
	// SbxLink is where sbx is linked onto the machine's PATH (GuestSbxLink);
	// empty: nowhere.
	SbxLink string
}

// Daemon is `sbx __agent`: it makes sure commands will start with default
// signal dispositions and an empty signal mask, then serves until SIGTERM
// or SIGINT, and then hangs up the sessions still running.
func Daemon(o DaemonOptions) error {
	if o.Env[cleanMarker] == "" {
		return reexecClean()
	}
	os.Unsetenv(cleanMarker) // best effort
	// Handling SIGHUP/SIGINT in Go also means children get them at their
	// default: the runtime resets handled signals in the forked child.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	cfg, err := LoadConfig(orDefault(o.ConfigPath, DefaultConfigPath))
	if err != nil {
		return err
	}
	var l *net.UnixListener
	if o.Listen != "" {
		l, err = Listen(o.Listen)
	} else {
		l, err = ActivationListener(o.Env["LISTEN_PID"], o.Env["LISTEN_FDS"])
		for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
			os.Unsetenv(k) // best effort
		}
	}
	if err != nil {
		return err
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	if o.SbxLink == "" {
		// not asked to (a test's agent): leave the system alone
	} else if err := linkSbx(o.SbxLink, guestBinary); err != nil {
		fmt.Fprintf(log, "sbx agent: putting sbx on the machine's PATH: %v\n", err) // best effort
	}
	srv := &Server{OwnerUID: cfg.OwnerUID, Logf: func(f string, a ...any) { fmt.Fprintf(log, "sbx agent: "+f+"\n", a...) }}
	stopIdle := watchIdle(srv, cfg)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				// sbx changed StopWhenIdle= in agent.conf: take it at once.
				next, err := LoadConfig(orDefault(o.ConfigPath, DefaultConfigPath))
				if err != nil {
					srv.logf("reloading: %v (keeping the old settings)", err)
					continue
				}
				stopIdle()
				stopIdle = watchIdle(srv, next)
				srv.logf("reloaded: stop_when_idle=%s", next.StopWhenIdle)
				continue
			}
			l.Close() // best effort; ends Serve
			return
		}
	}()
	err = srv.Serve(l)
	srv.HangupAll()
	return err
}

// reexecClean replaces the process with itself, started with an empty
// signal mask and with no signal ignored. Whatever started the agent (a
// background job, nsenter &) may have left SIGINT ignored or signals
// blocked, and the Go runtime hands its initial mask to every child; after
// this the initial state is clean. The pid stays the same, so LISTEN_PID
// still matches.
func reexecClean() error {
	// A Go handler for every signal: execve resets handled signals to their
	// default, but would keep ignored ones ignored.
	signal.Notify(make(chan os.Signal, 1))
	runtime.LockOSThread()
	var empty unix.Sigset_t
	if err := unix.PthreadSigmask(unix.SIG_SETMASK, &empty, nil); err != nil {
		return fmt.Errorf("clearing the signal mask: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding the sbx binary to restart the agent: %w", err)
	}
	env := append(withoutKey(os.Environ(), cleanMarker), cleanMarker+"=1")
	err = unix.Exec("/proc/self/exe", os.Args, env)
	return fmt.Errorf("restarting the agent (%s): %w", exe, err)
}

// withoutKey drops key from an environment list (duplicates are resolved
// differently by different readers, so never add a second one).
func withoutKey(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return out
}

// watchIdle starts the StopWhenIdle= watcher of cfg (none for 0) and
// returns what stops it.
func watchIdle(srv *Server, cfg Config) (stop func()) {
	if cfg.StopWhenIdle <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	go srv.WatchIdle(ctx, cfg.StopWhenIdle, guestPoweroff)
	return cancel
}
