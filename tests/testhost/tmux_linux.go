package testhost

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Tmux is a tmux session in the host, run by one user: the way interactive
// tests type keys and read the screen. Each session has its own tmux
// server, so sessions never share state.
type Tmux struct {
	h      *Host
	user   string
	socket string
}

// tmuxCommandTimeout bounds one tmux client call.
const tmuxCommandTimeout = 15 * time.Second

var tmuxCount atomic.Int64

// NewTmux starts a detached tmux session of cols×rows as user, running argv
// (default: the user's login shell) in the user's home with TERM set. The
// pane stays after the program exits so its last screen and exit status
// can still be read.
func (h *Host) NewTmux(user string, cols, rows int, argv ...string) (*Tmux, error) {
	u, err := h.LookupUser(user)
	if err != nil {
		return nil, err
	}
	if len(argv) == 0 {
		argv = []string{u.Shell}
	}
	t := &Tmux{h: h, user: user, socket: fmt.Sprintf("sbx-test-%d", tmuxCount.Add(1))}
	ctx, cancel := context.WithTimeout(context.Background(), tmuxCommandTimeout)
	defer cancel()
	conf := "/tmp/" + t.socket + ".conf"
	// The size comes from new-session -x/-y (no client is ever attached)
	// and later from resize-window. Not "window-size manual" nor "status
	// off": tmux 3.3a's server dies on either in a detached session.
	config := "set -g remain-on-exit on\nset -g history-limit 10000\n" +
		"set -g default-terminal tmux-256color\n"
	if err := h.WriteFile(ctx, user, conf, []byte(config), 0o600); err != nil {
		return nil, err
	}
	args := []string{"-f", conf, "new-session", "-d", "-s", "test",
		"-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows), "--"}
	if _, err := t.tmux(ctx, append(args, argv...)...); err != nil {
		return nil, fmt.Errorf("starting tmux as %s: %w", user, err)
	}
	return t, nil
}

// tmux runs one tmux client command against this session's server.
func (t *Tmux) tmux(ctx context.Context, args ...string) (string, error) {
	r := t.h.Run(ctx, Spec{User: t.user, Env: []string{"TERM=xterm-256color"},
		Argv: append([]string{"tmux", "-L", t.socket}, args...)})
	if r.Err != nil || r.Code != 0 {
		return "", fmt.Errorf("tmux %s: %s", strings.Join(args, " "), r)
	}
	return r.Stdout, nil
}

func (t *Tmux) do(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tmuxCommandTimeout)
	defer cancel()
	return t.tmux(ctx, args...)
}

// SendKeys sends tmux key names and strings, e.g. SendKeys("ls", "Enter")
// or SendKeys("C-c").
func (t *Tmux) SendKeys(keys ...string) error {
	_, err := t.do(append([]string{"send-keys", "-t", "test", "--"}, keys...)...)
	return err
}

// SendText types s literally (no key-name lookup).
func (t *Tmux) SendText(s string) error {
	_, err := t.do("send-keys", "-t", "test", "-l", "--", s)
	return err
}

// SendLine types s literally and presses Enter.
func (t *Tmux) SendLine(s string) error {
	if err := t.SendText(s); err != nil {
		return err
	}
	return t.SendKeys("Enter")
}

// Capture returns the visible screen, wrapped lines joined.
func (t *Tmux) Capture() (string, error) {
	return t.do("capture-pane", "-p", "-J", "-t", "test")
}

// CaptureHistory returns the scrollback and the screen.
func (t *Tmux) CaptureHistory() (string, error) {
	return t.do("capture-pane", "-p", "-J", "-S", "-", "-t", "test")
}

// WaitFor polls the screen until pattern (a regexp) matches, and returns
// the screen. On timeout the error shows the last screen.
func (t *Tmux) WaitFor(pattern string, timeout time.Duration) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", fmt.Errorf("WaitFor: bad pattern: %w", err)
	}
	deadline := time.Now().Add(timeout)
	for {
		screen, err := t.Capture()
		if err == nil && re.MatchString(screen) {
			return screen, nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return "", fmt.Errorf("waiting for %q: %w", pattern, err)
			}
			return screen, fmt.Errorf("waiting for %q: not on the screen after %s; screen:\n%s", pattern, timeout, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Resize sets the window size, as a terminal resize would.
func (t *Tmux) Resize(cols, rows int) error {
	_, err := t.do("resize-window", "-t", "test", "-x", strconv.Itoa(cols), "-y", strconv.Itoa(rows))
	return err
}

// Exited reports whether the program in the pane has ended, and its
// status (128+N when killed by signal N). tmux marks a pane dead when its
// terminal closes, which can be a moment before it has the exit status:
// until then the pane counts as alive.
func (t *Tmux) Exited() (dead bool, status int, err error) {
	dead, status, _, err = t.paneState()
	return dead, status, err
}

// paneState also returns tmux's raw answer, for error messages.
func (t *Tmux) paneState() (dead bool, status int, raw string, err error) {
	raw, err = t.do("display-message", "-p", "-t", "test", "#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}:#{pane_pid}")
	if err != nil {
		return false, 0, "", err
	}
	raw = strings.TrimSpace(raw)
	f := strings.Split(raw, ":")
	if len(f) != 4 || f[0] != "1" {
		return false, 0, raw, nil
	}
	if sig, err := strconv.Atoi(f[2]); err == nil && sig > 0 {
		return true, 128 + sig, raw, nil
	}
	if status, err := strconv.Atoi(f[1]); err == nil {
		return true, status, raw, nil
	}
	// tmux 3.3a sometimes never reaps the program (it stays a zombie and
	// pane_dead_status stays empty); the kernel still has its status.
	if pid, err := strconv.Atoi(f[3]); err == nil {
		if status, ok := t.zombieStatus(pid); ok {
			return true, status, raw, nil
		}
	}
	return false, 0, raw, nil
}

// zombieStatus reads the exit status of an unreaped process in the host
// from /proc/PID/stat (state Z, field 52 exit_code, a wait status).
func (t *Tmux) zombieStatus(pid int) (int, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), tmuxCommandTimeout)
	defer cancel()
	r := t.h.Exec(ctx, "root", "cat", fmt.Sprintf("/proc/%d/stat", pid))
	i := strings.LastIndexByte(r.Stdout, ')')
	if r.Code != 0 || i < 0 {
		return 0, false
	}
	f := strings.Fields(r.Stdout[i+1:]) // f[0] is field 3 (state)
	if len(f) < 50 || f[0] != "Z" {
		return 0, false
	}
	ws, err := strconv.Atoi(f[49])
	if err != nil {
		return 0, false
	}
	if sig := ws & 0x7f; sig != 0 {
		return 128 + sig, true
	}
	return (ws >> 8) & 0xff, true
}

// WaitExit polls until the program in the pane ends and returns its status.
func (t *Tmux) WaitExit(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		dead, status, raw, err := t.paneState()
		if err != nil {
			return 0, err
		}
		if dead {
			return status, nil
		}
		if time.Now().After(deadline) {
			screen, _ := t.Capture()
			return 0, fmt.Errorf("the program in tmux did not exit within %s (tmux says dead:status:signal:pid = %s); screen:\n%s",
				timeout, raw, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close ends the session and its tmux server.
func (t *Tmux) Close() error {
	_, err := t.do("kill-server")
	return err
}

// PaneTTY is the host terminal device of the pane (what the program in it
// has as its terminal), e.g. for stty -F.
func (t *Tmux) PaneTTY() (string, error) {
	out, err := t.do("display-message", "-p", "-t", "test", "#{pane_tty}")
	return strings.TrimSpace(out), err
}
