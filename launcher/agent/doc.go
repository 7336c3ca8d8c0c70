// Package agent is the exec path into a machine: the agent that runs inside
// the guest (`sbx __agent`, socket-activated by systemd there), the wire
// protocol it speaks on its unix socket, and the host client that `sbx run`
// and `sbx shell` use.
//
// The socket lives in a host directory that is bind-mounted into the guest,
// so the host CLI connects to it directly: one connect, one request, one
// reply. Without a terminal the client's own stdin/stdout/stderr descriptors
// travel to the agent with SCM_RIGHTS and the command uses them directly, so
// nothing is copied and stderr stays separate. For each stream that is a
// terminal the command gets the slave of one PTY allocated in the guest; its
// master comes back to the client, which bridges it to the host terminal
// (package bridge). A host terminal descriptor is never passed into the guest.
package agent
