package builder

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// run runs argv, sending each output line to line, and kills the whole
// process group when ctx ends (debootstrap leaves dpkg children otherwise).
func run(ctx context.Context, env []string, line func(string), argv ...string) error {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line(strings.TrimRight(sc.Text(), "\r"))
		}
		io.Copy(io.Discard, pr) // best effort: drain an over-long line
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	if ctx.Err() != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // best effort: stragglers
		return ctx.Err()
	}
	return err
}

// exitCode is the status of a failed command, or 1.
func exitCode(err error) int {
	var st *exitStatus
	if errors.As(err, &st) {
		return st.code
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}

// baseEnv is a clean environment for tools run as root.
func baseEnv() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C.UTF-8",
		"DEBIAN_FRONTEND=noninteractive",
		"HOME=/root",
	}
}

// stepError is a failure with a hint and an exit status for the CLI.
type stepError struct {
	msg, hint string
	code      int
}

func (e *stepError) Error() string { return e.msg }

// Hint is the next step; the helper sends it in Event.Hint (launcher/hint).
func (e *stepError) Hint() string { return e.hint }

func failf(code int, hint, format string, a ...any) error {
	return &stepError{msg: fmt.Sprintf(format, a...), hint: hint, code: code}
}
