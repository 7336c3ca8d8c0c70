package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Statuses a shell uses when it cannot run a command.
const (
	statusNotExecutable = 126
	statusNotFound      = 127
)

// lookPath resolves name the way a shell does, in the guest and with the
// command's PATH (not the agent's). A name with a slash is used as is
// (relative to dir). When only non-executable matches exist the first one
// is returned so exec fails with EACCES, as in bash.
func lookPath(name, path, dir string) (string, bool) {
	if strings.Contains(name, "/") {
		return name, true
	}
	fallback := ""
	for _, d := range filepath.SplitList(path) {
		if d == "" {
			d = "."
		}
		cand := filepath.Join(d, name)
		if !filepath.IsAbs(cand) {
			cand = filepath.Join(dir, cand)
		}
		st, err := os.Stat(cand)
		if err != nil || st.IsDir() {
			continue
		}
		if st.Mode().Perm()&0o111 != 0 {
			return cand, true
		}
		if fallback == "" {
			fallback = cand
		}
	}
	return fallback, fallback != ""
}

// execFailure turns an exec error into the status and message a shell
// would give (ENOENT → 127, EACCES/ENOEXEC → 126).
func execFailure(name string, err error) (int, string) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return statusNotExecutable, fmt.Sprintf("sbx: %s: %v\n", name, err)
	}
	switch errno {
	case syscall.ENOENT:
		return statusNotFound, fmt.Sprintf("sbx: %s: No such file or directory\n", name)
	case syscall.EACCES, syscall.EPERM:
		return statusNotExecutable, fmt.Sprintf("sbx: %s: Permission denied\n", name)
	case syscall.ENOEXEC:
		return statusNotExecutable, fmt.Sprintf("sbx: %s: cannot execute binary file: Exec format error\n", name)
	case syscall.EISDIR:
		return statusNotExecutable, fmt.Sprintf("sbx: %s: Is a directory\n", name)
	}
	return statusNotExecutable, fmt.Sprintf("sbx: %s: %s\n", name, errno.Error())
}

// notFound is the shell's message for a name PATH does not have.
func notFound(name string) (int, string) {
	return statusNotFound, fmt.Sprintf("sbx: %s: command not found\n", name)
}

// waitStatusCode maps a wait status to a shell-style exit status.
func waitStatusCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
