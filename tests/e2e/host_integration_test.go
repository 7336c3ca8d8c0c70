//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The machine the host-integration tests share: the tools they call
// inside, built once.
const hostIntDir = "/home/alice/src/hostint"

// hostIntMachine is the host-integration project's machine, created and
// started.
var hostIntMachine = &onceMachine{what: "the host-integration machine", make: func(t *testing.T) string {
	// The host's side: an SSH agent's tools, an X server, a git
	// identity, all there before the machine starts.
	must(t, "root", "command -v ssh-agent >/dev/null && command -v Xvfb >/dev/null || "+
		"{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openssh-client xvfb; } >/dev/null")
	// -nolisten local: X's abstract socket lives in the network namespace,
	// which test hosts share with the box; two hosts' :42 would clash.
	must(t, "root", "systemctl is-active -q sbx-e2e-xvfb || systemd-run -q --uid=alice --unit=sbx-e2e-xvfb Xvfb :42 -nolisten tcp -nolisten local")
	waitUntil(t, alice, "test -S /tmp/.X11-unix/X42", time.Minute)
	must(t, alice, "git config --global user.name 'Alice Example' && mkdir -p ~/.config/git && echo '*.swp' > ~/.config/git/ignore")
	newProject(t, hostIntDir, "[Machine]\nPackages=bc openssh-client git x11-utils gnupg wayland-utils pulseaudio-utils pipewire-bin\n\n[Host]\nDisplay=yes\n")
	name, _ := createProject(t, hostIntDir)
	return name
}}

// hostInt returns the host-integration project's machine, created and
// started.
func hostInt(t *testing.T) string { return hostIntMachine.get(t) }

// inHostInt runs script as alice in the host-integration project.
func inHostInt(t *testing.T, script string) (stdout, stderr string, code int) {
	t.Helper()
	hostInt(t)
	return asAlice(t, fmt.Sprintf("cd %s && %s", sh(hostIntDir), script))
}

// TestUserSession: every command runs in the user's session: its runtime
// directory, its systemd manager and its D-Bus.
func TestUserSession(t *testing.T) {
	out, errOut, code := inHostInt(t, `sbx run sh -c 'echo "rt=$XDG_RUNTIME_DIR"; test -d "$XDG_RUNTIME_DIR" && test -O "$XDG_RUNTIME_DIR" && echo rt-ok; echo "bus=$DBUS_SESSION_BUS_ADDRESS"; test -S /run/user/1000/bus && echo bus-ok; systemctl --user is-system-running' 2>&1`)
	for _, want := range []string{"rt=/run/user/1000\n", "rt-ok\n", "bus=unix:path=/run/user/1000/bus\n", "bus-ok\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the session's output; exit %d:\n%s%s", want, code, out, errOut)
		}
	}
	if !strings.HasSuffix(out, "running\n") && !strings.HasSuffix(out, "degraded\n") {
		t.Errorf("systemctl --user is-system-running: exit %d:\n%s%s", code, out, errOut)
	}
	// The user's bus answers (a real D-Bus daemon behind the socket).
	if out, errOut, code := inHostInt(t, `sbx run busctl --user --no-pager status --no-legend 2>&1 | head -3`); code != 0 || !strings.Contains(out, "=") {
		t.Errorf("busctl --user status: exit %d %q %s", code, out, errOut)
	}

	// A logind session of alice's (PAM, pam_systemd): loginctl and
	// sd_pid_get_session see the command in it.
	id := sessionOfCommand(t, `sbx run sh -c "$1"`)
	// Two commands at once are both in it.
	out, errOut, code = inHostInt(t, `rm -f /tmp/sbx-e2e-first; `+
		`sbx run sh -c 'echo $$ >/tmp/sbx-e2e-first; exec sleep 30' & first=$!; `+
		`sbx run sh -c 'for i in $(seq 200); do [ -s /tmp/sbx-e2e-first ] && break; sleep 0.05; done; a=$(cat /tmp/sbx-e2e-first); grep -h ^0:: /proc/$a/cgroup /proc/self/cgroup; kill $a; rm -f /tmp/sbx-e2e-first'; wait $first`)
	scope := "0::/user.slice/user-1000.slice/session-" + id + ".scope\n"
	if code != 143 || out != scope+scope {
		t.Errorf("two commands at once: exit %d, want both in session %s:\n%s%s", code, id, out, errOut)
	}
	// A PTY command joins it too.
	if ptyID := sessionOfCommand(t, `export SBX_E2E_CHECK="$1"; script -qec 'sbx run sh -c "$SBX_E2E_CHECK"' /dev/null </dev/null | tr -d '\r'`); ptyID != id {
		t.Errorf("PTY command in session %q, pipe commands in %q", ptyID, id)
	}
	// A session ended under it is replaced on the next command.
	must(t, alice, "cd "+sh(hostIntDir)+" && sbx run --root loginctl terminate-session "+id)
	if next := sessionOfCommand(t, `sbx run sh -c "$1"`); next == id {
		t.Errorf("after loginctl terminate-session %s the next command is still in it", id)
	}
	// Root's commands join none (see launcher/agent/usersession_linux.go).
	if out, errOut, code := inHostInt(t, `sbx run --root sh -c 'echo "id=$XDG_SESSION_ID"; cat /proc/self/cgroup'`); code != 0 || !strings.Contains(out, "id=\n") || strings.Contains(out, "session-") {
		t.Errorf("sbx run --root: exit %d, want no session:\n%s%s", code, out, errOut)
	}
}

// sessionOfCommand runs a check of the login session with run (a shell
// command line whose $1 is the script to run in the machine) and returns
// the session's id.
func sessionOfCommand(t *testing.T, run string) string {
	t.Helper()
	check := `echo "id=$XDG_SESSION_ID class=$XDG_SESSION_CLASS type=$XDG_SESSION_TYPE"; cat /proc/self/cgroup; ` +
		`loginctl show-session --no-pager "$XDG_SESSION_ID" -p Name -p Remote -p State -p Service -p Class; loginctl session-status --no-pager | head -1`
	out, errOut, code := inHostInt(t, fmt.Sprintf("set -- %s && %s", sh(check), run))
	id := ""
	if _, rest, ok := strings.Cut(out, "id="); ok {
		id, _, _ = strings.Cut(rest, " ")
	}
	if id == "" {
		t.Fatalf("no XDG_SESSION_ID: exit %d:\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"class=user type=tty\n", "0::/user.slice/user-1000.slice/session-" + id + ".scope\n",
		"Name=alice\n", "Remote=no\n", "State=active\n", "Service=sbx\n", "Class=user\n", "\n" + id + " - alice (1000)"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the session check; exit %d:\n%s%s", want, code, out, errOut)
		}
	}
	return id
}

// TestSbxInsideMachine: sbx is on the machine's PATH; sbx run inside runs
// right there, with the command's own status and streams; sbx shell says
// where you are.
func TestSbxInsideMachine(t *testing.T) {
	name := hostInt(t)
	if out, errOut, code := inHostInt(t, `sbx run bash -lc 'command -v sbx; sbx run echo ok'`); code != 0 || out != "/usr/local/bin/sbx\nok\n" {
		t.Errorf("sbx run echo ok typed inside: exit %d %q %s", code, out, errOut)
	}
	out, errOut, code := inHostInt(t, `sbx run sh -c 'sbx run sh -c "echo out; echo err >&2; exit 7"'`)
	if code != 7 || out != "out\n" || errOut != "err\n" {
		t.Errorf("status and streams through sbx run inside: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code := inHostInt(t, `sbx run sh -c 'cd /tmp && sbx run no-such-tool'`); code != 127 || !strings.Contains(errOut, "no-such-tool: command not found") {
		t.Errorf("not found inside: exit %d %q", code, errOut)
	}
	if out, _, code := inHostInt(t, `sbx run sh -c 'sbx run -C /etc -e X=1 sh -c "pwd; echo \$X"'`); code != 0 || out != "/etc\n1\n" {
		t.Errorf("-C and -e inside: exit %d %q", code, out)
	}
	_, errOut, code = inHostInt(t, `sbx run sbx shell </dev/null`)
	if code != 125 || !strings.Contains(errOut, "already in machine "+name) {
		t.Errorf("sbx shell inside: exit %d %q", code, errOut)
	}
	_, errOut, code = inHostInt(t, `sbx run sbx shim bc`)
	if code != 125 || !strings.Contains(errOut, "shims are made on the host") {
		t.Errorf("sbx shim inside: exit %d %q", code, errOut)
	}
}

// TestShim: a machine's command on the host's PATH, from any directory,
// with stdin, status and the working directory passed; --rm and sbx rm
// take shims away.
func TestShim(t *testing.T) {
	hostInt(t)
	must(t, alice, "cd "+sh(hostIntDir)+" && sbx shim bc && sbx shim --dir ~/shims sh")
	if out, errOut, code := asAlice(t, `cd / && echo 2+3 | ~/.local/bin/bc`); code != 0 || out != "5\n" {
		t.Errorf("echo 2+3 | bc from /: exit %d %q %s", code, out, errOut)
	}
	if _, _, code := asAlice(t, `cd / && ~/shims/sh -c 'exit 3'`); code != 3 {
		t.Errorf("shim exit status: %d, want 3", code)
	}
	// A directory the machine has is used; one it lacks falls back to the
	// project, said once on stderr.
	if out, errOut, code := asAlice(t, `cd /etc && ~/shims/sh -c pwd`); code != 0 || out != "/etc\n" || errOut != "" {
		t.Errorf("shim in /etc: exit %d %q %q", code, out, errOut)
	}
	out, errOut, code := asAlice(t, `mkdir -p ~/only-on-host && cd ~/only-on-host && ~/shims/sh -c pwd`)
	if code != 0 || out != hostIntDir+"\n" || strings.Count(errOut, "is not in this machine; running in "+hostIntDir) != 1 {
		t.Errorf("shim in a host-only directory: exit %d %q %q", code, out, errOut)
	}
	if out := must(t, alice, "sbx shim --list"); !strings.Contains(out, "bc\t") || !strings.Contains(out, "/home/alice/shims/sh") {
		t.Errorf("sbx shim --list: %q", out)
	}
	must(t, alice, "cd "+sh(hostIntDir)+" && sbx shim --rm bc && test ! -e ~/.local/bin/bc")
}

// TestSSHAgent: the host's agent works inside, also after it was started
// anew at another path; without one nothing is set.
func TestSSHAgent(t *testing.T) {
	hostInt(t)
	start := func(dir string) string {
		return fmt.Sprintf(`mkdir -p %[1]s && rm -f %[1]s/agent.sock && eval "$(ssh-agent -s -a %[1]s/agent.sock)" >/dev/null && echo "$SSH_AGENT_PID"`, dir)
	}
	must(t, alice, "rm -f ~/.ssh/e2e && mkdir -p ~/.ssh && ssh-keygen -q -t ed25519 -N '' -C e2e-key -f ~/.ssh/e2e")
	fp := strings.Fields(must(t, alice, "ssh-keygen -lf ~/.ssh/e2e.pub"))[1]
	for _, dir := range []string{"/tmp/ssh-first", "/tmp/ssh-second-login"} {
		pid := strings.TrimSpace(must(t, alice, start(dir)))
		out, errOut, code := inHostInt(t, fmt.Sprintf("export SSH_AUTH_SOCK=%s/agent.sock && ssh-add -q ~/.ssh/e2e && sbx run sh -c 'echo \"$SSH_AUTH_SOCK\"; ssh-add -l'", dir))
		if code != 0 || !strings.Contains(out, fp) || !strings.HasPrefix(out, "/run/sbx/ssh-agent.") {
			t.Errorf("agent at %s: ssh-add -l inside: exit %d\n%s%s", dir, code, out, errOut)
		}
		must(t, alice, "kill "+pid)
	}
	if out, _, _ := inHostInt(t, `env -u SSH_AUTH_SOCK sbx run sh -c 'echo "${SSH_AUTH_SOCK-none}"'`); out != "none\n" {
		t.Errorf("without a host agent SSH_AUTH_SOCK inside is %q", out)
	}
	// The relay's socket goes with the command.
	if out := must(t, "root", "ls /var/lib/sbx/machines/"+hostInt(t)+"/"); strings.Contains(out, "ssh-agent.") {
		t.Errorf("relay sockets left behind: %s", out)
	}
}

// TestGitConfig: the host's git identity and ~/.config/git, read-only.
func TestGitConfig(t *testing.T) {
	hostInt(t)
	if out, errOut, code := inHostInt(t, "sbx run git config user.name"); code != 0 || out != "Alice Example\n" {
		t.Errorf("git config user.name inside: exit %d %q %s", code, out, errOut)
	}
	if out, _, code := inHostInt(t, "sbx run cat /home/alice/.config/git/ignore"); code != 0 || !strings.Contains(out, "*.swp") {
		t.Errorf("~/.config/git inside: exit %d %q", code, out)
	}
	if _, _, code := inHostInt(t, "sbx run git config --global user.email x@example.org"); code == 0 {
		t.Error("~/.gitconfig is writable inside; want read-only")
	}
}

// TestDisplay: a GUI program inside reaches the host's X server.
func TestDisplay(t *testing.T) {
	hostInt(t)
	out, errOut, code := inHostInt(t, "DISPLAY=:42 sbx run xdpyinfo | grep -m1 'name of display'")
	if code != 0 || !strings.Contains(out, ":42") {
		t.Errorf("xdpyinfo inside: exit %d %q %s", code, out, errOut)
	}

	// A desktop entry on the host for an application of the machine; its
	// Exec= line, run as a launcher would, opens on the host's display.
	must(t, alice, "cd "+sh(hostIntDir)+` && printf '[Desktop Entry]\nType=Application\nName=Display info\nExec=xdpyinfo -display :42 %%F\n' | sbx run --root sh -c 'mkdir -p /usr/share/applications && cat > /usr/share/applications/e2e-xdpy.desktop' && sbx shim --desktop e2e-xdpy`)
	entry := "/home/alice/.local/share/applications/sbx-" + hostInt(t) + "-e2e-xdpy.desktop"
	script := fmt.Sprintf(`cd / && exec_line=$(sed -n 's/^Exec=//p' %s) && eval "set -- $exec_line" && "$@" | grep -m1 'name of display'`, entry)
	if out, errOut, code := asAlice(t, script); code != 0 || !strings.Contains(out, ":42") {
		t.Errorf("desktop entry's Exec=: exit %d %q %s", code, out, errOut)
	}
	must(t, alice, "sbx shim --rm e2e-xdpy.desktop && test ! -e "+entry)
}

// TestDevices: a device node the machine does not have is refused to it
// until Device= names it; then (after the restart sbx asks for) it opens
// inside. GPU=yes on a host without a GPU says so, and the machine runs.
func TestDevices(t *testing.T) {
	name := hostInt(t)
	must(t, "root", "test -c /dev/fuse || mknod -m 0666 /dev/fuse c 10 229")
	if out, _, code := inHostInt(t, "sbx run sh -c 'exec 3<>/dev/fuse && echo opened' 2>&1"); code == 0 {
		t.Errorf("/dev/fuse opens inside without Device=: %q", out)
	}
	must(t, alice, "cd "+sh(hostIntDir)+" && printf 'Device=/dev/fuse\nGPU=yes\n' >> .sandbox && sbx allow >/dev/null")
	out, errOut, code := inHostInt(t, "sbx run true")
	for _, want := range []string{"Device= +/dev/fuse", "GPU=yes, but this host has no GPU device"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("sbx run after adding Device= and GPU=: exit %d, stderr lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	// A device takes effect at the next start: sbx restarts an idle machine
	// at once, or says to.
	if !strings.Contains(errOut, "restarting "+name+" for Device= +/dev/fuse") && !strings.Contains(errOut, "takes effect at the next start of "+name) {
		t.Errorf("sbx run after adding Device= does not say when it takes effect:\n%s", errOut)
	}
	must(t, alice, "cd "+sh(hostIntDir)+" && sbx restart >/dev/null 2>&1")
	if out, errOut, code := inHostInt(t, "sbx run sh -c 'exec 3<>/dev/fuse && echo opened'"); code != 0 || out != "opened\n" {
		t.Errorf("/dev/fuse with Device=: exit %d %q %s", code, out, errOut)
	}
	if out := must(t, "root", "cat /etc/systemd/system/systemd-nspawn@"+name+".service.d/sbx-devices.conf"); !strings.Contains(out, "DeviceAllow=/dev/fuse rwm") {
		t.Errorf("device drop-in: %q", out)
	}
	// Bind= under /dev stays refused.
	must(t, alice, "cd "+sh(hostIntDir)+" && cp .sandbox /tmp/sandbox.keep && printf '[Files]\nBind=/dev/kvm\n' >> .sandbox")
	if _, errOut, code := inHostInt(t, "sbx allow"); code == 0 || !strings.Contains(errOut, "/dev") {
		t.Errorf("Bind=/dev/kvm accepted: exit %d %s", code, errOut)
	}
	must(t, alice, "cd "+sh(hostIntDir)+" && cp /tmp/sandbox.keep .sandbox && sbx allow >/dev/null")
}

// TestZHostIntRemove runs after the host-integration tests (file order):
// sbx rm of the machine takes its shims with it, and says so.
func TestZHostIntRemove(t *testing.T) {
	// The host as the other tests expect it, whatever happens here.
	t.Cleanup(func() {
		asRoot(t, "systemctl stop sbx-e2e-xvfb")                                                                         // best effort
		asAlice(t, "rm -rf ~/.gitconfig ~/.config/git ~/.ssh/e2e ~/.ssh/e2e.pub ~/shims ~/only-on-host ~/.local/bin/bc") // best effort
	})
	name := hostInt(t)
	out := must(t, alice, "cd "+sh(hostIntDir)+" && sbx shim --dir ~/shims sh 2>/dev/null && sbx rm --force "+name+" 2>&1")
	if !strings.Contains(out, "removed shim /home/alice/shims/sh") {
		t.Errorf("sbx rm did not say it removed the shim:\n%s", out)
	}
	must(t, alice, "test ! -e ~/shims/sh && ! sbx shim --list 2>/dev/null | grep -q "+sh(name))
	if out := must(t, "root", "ls /etc/systemd/system/"); strings.Contains(out, "systemd-nspawn@"+name) {
		t.Errorf("sbx rm left the unit's drop-ins: %s", out)
	}
}
