package agent

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// listenFdsStart is the first descriptor systemd passes (SD_LISTEN_FDS_START).
const listenFdsStart = 3

// ActivationListener takes the listening socket systemd passed (socket
// activation: LISTEN_PID must be this process and LISTEN_FDS 1). listenPID
// and listenFDs are the values of those variables.
func ActivationListener(listenPID, listenFDs string) (*net.UnixListener, error) {
	if listenPID == "" {
		return nil, errors.New("no socket passed by systemd (LISTEN_PID unset): start the agent with sbx-agent.socket, or give --listen PATH")
	}
	if pid, err := strconv.Atoi(listenPID); err != nil || pid != os.Getpid() {
		return nil, fmt.Errorf("LISTEN_PID=%s is not this process (%d): the socket was meant for another process", listenPID, os.Getpid())
	}
	if n, err := strconv.Atoi(listenFDs); err != nil || n != 1 {
		return nil, fmt.Errorf("LISTEN_FDS=%q: expected exactly one socket; check sbx-agent.socket", listenFDs)
	}
	syscall.CloseOnExec(listenFdsStart) // commands we start must not inherit it
	f := os.NewFile(listenFdsStart, "sbx-agent.socket")
	defer f.Close()
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("using the socket passed by systemd: %w", err)
	}
	ul, ok := l.(*net.UnixListener)
	if !ok {
		l.Close()
		return nil, errors.New("the socket passed by systemd is not a unix stream socket; check sbx-agent.socket")
	}
	ul.SetUnlinkOnClose(false) // systemd owns the path
	return ul, nil
}

// Listen creates the agent socket at path (tests and manual runs),
// replacing a stale socket; any local user can connect, the agent checks
// who with SO_PEERCRED.
func Listen(path string) (*net.UnixListener, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
		os.Remove(path) // best effort: stale socket from an earlier run
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		l.Close()
		return nil, fmt.Errorf("making %s reachable: %w", path, err)
	}
	return l, nil
}
