//go:build e2e

package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Display=yes beyond X11: the host's Wayland compositor (weston, headless),
// PulseAudio (pipewire-pulse) and PipeWire, all real servers run as alice
// in her runtime directory, reached from inside the host-integration
// machine by real clients (wayland-info, pactl, pw-cli) and by wlclient,
// which hands the compositor a memfd (SCM_RIGHTS through the relay).

const (
	aliceRuntime = "/run/user/1000"
	waylandName  = "wayland-e2e"
	westonUnit   = "sbx-e2e-weston"
	// wlclientPath is where the machine finds wlclient: in the project,
	// which it shares with the host.
	wlclientPath = hostIntDir + "/.e2e-wlclient"
	// onHost is the host shell's session: its runtime directory, as a
	// desktop login has it.
	onHost = "export XDG_RUNTIME_DIR=" + aliceRuntime + "; "
)

// The packages of the host's servers; their clients are in hostInt's
// Packages=. pipewire-bin (pw-cli) comes with pipewire.
const guiHostPackages = "weston wayland-utils pipewire pipewire-pulse pulseaudio-utils"

var (
	guiOnce sync.Once
	guiOK   bool
)

// guiHost prepares the host side once: the servers' packages, alice's
// runtime directory (logind keeps it while she lingers, as a login would)
// and wlclient in the project.
func guiHost(t *testing.T) {
	t.Helper()
	hostInt(t)
	guiOnce.Do(func() {
		start := time.Now()
		client := make(chan error, 1)
		bin := filepath.Join(t.TempDir(), "wlclient")
		go func() { client <- buildWlclient(bin) }() // beside apt, which waits on the network
		must(t, "root", fmt.Sprintf(`export DEBIAN_FRONTEND=noninteractive
command -v weston && command -v pw-cli && command -v pactl && command -v wayland-info ||
{ apt-get install -y -q --no-install-recommends %[1]s || { apt-get update -q && apt-get install -y -q --no-install-recommends %[1]s; }; }`, guiHostPackages)+" >/dev/null")
		t.Logf("host packages for the GUI servers in %s", time.Since(start).Round(100*time.Millisecond))
		must(t, "root", "loginctl enable-linger "+alice)
		waitUntil(t, alice, "test -S "+aliceRuntime+"/systemd/private", time.Minute)
		if err := <-client; err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		if err := host.WriteFile(testCtx(t), alice, wlclientPath, data, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Logf("GUI host ready in %s", time.Since(start).Round(100*time.Millisecond))
		guiOK = true
	})
	if !guiOK {
		t.Fatal("the GUI servers' host could not be prepared (see the first test that tried)")
	}
}

// buildWlclient builds wlclient, static, at out.
func buildWlclient(out string) error {
	build := exec.Command("go", "build", "-o", out, "./tests/e2e/wlclient")
	build.Dir = repoDir
	build.Env = append(build.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building wlclient: %w\n%s", err, b)
	}
	return nil
}

// startWeston starts a headless weston as alice with an output of a size
// chosen now (so only that compositor knows it) and stops it when the test
// ends. It returns the size as weston reports it.
func startWeston(t *testing.T) (mode string) {
	t.Helper()
	w, h := 320+rand.IntN(600), 200+rand.IntN(400)
	asRoot(t, "systemctl stop "+westonUnit+" 2>/dev/null; systemctl reset-failed "+westonUnit+" 2>/dev/null") // best effort
	must(t, "root", fmt.Sprintf("systemd-run -q --uid=%s -E XDG_RUNTIME_DIR=%s --unit=%s "+
		"weston --backend=headless-backend.so --socket=%s --width=%d --height=%d --idle-time=0 --no-config",
		alice, aliceRuntime, westonUnit, waylandName, w, h))
	t.Cleanup(func() { asRoot(t, "systemctl stop "+westonUnit) }) // best effort
	waitUntil(t, alice, "test -S "+aliceRuntime+"/"+waylandName, time.Minute)
	return fmt.Sprintf("%dx%d", w, h)
}

// startPipeWire starts alice's PipeWire and its PulseAudio server, the
// user units Debian enables for every user, and stops them when the test
// ends, sockets included (so the next start makes new ones).
func startPipeWire(t *testing.T) {
	t.Helper()
	must(t, alice, onHost+"systemctl --user start pipewire.socket pipewire-pulse.socket pipewire.service pipewire-pulse.service")
	t.Cleanup(func() { stopPipeWire(t) })
	waitUntil(t, alice, onHost+"pw-cli info 0 >/dev/null && pactl info >/dev/null", time.Minute)
}

func stopPipeWire(t *testing.T) {
	asAlice(t, onHost+"systemctl --user stop pipewire-pulse.service pipewire-pulse.socket pipewire.service pipewire.socket") // best effort
}

// noRelaysLeft fails t if a relay socket or X cookie copy outlived its
// command in the machine's runtime directory.
func noRelaysLeft(t *testing.T) {
	t.Helper()
	out := must(t, "root", "ls -A /var/lib/sbx/machines/"+hostInt(t)+"/")
	for _, prefix := range []string{"wayland.", "pulse.", "pipewire.", "xauth.", "ssh-agent."} {
		if strings.Contains(out, prefix) {
			t.Errorf("%s* left in the machine's runtime directory after the command:\n%s", prefix, out)
		}
	}
}

var (
	outputMode  = regexp.MustCompile(`width: (\d+) px, height: (\d+) px`)
	interfaceRe = regexp.MustCompile(`interface: '(\w+)'`)
)

// waylandFacts is what wayland-info says only the compositor knows: its
// globals and its output's mode.
func waylandFacts(info string) (ifaces, mode string) {
	var names []string
	for _, m := range interfaceRe.FindAllStringSubmatch(info, -1) {
		names = append(names, m[1])
	}
	if m := outputMode.FindStringSubmatch(info); m != nil {
		mode = m[1] + "x" + m[2]
	}
	return strings.Join(names, " "), mode
}

// TestWaylandDisplay: wayland-info and an shm client inside reach the
// host's compositor, with WAYLAND_DISPLAY a name in the runtime directory
// or an absolute path; the relay goes with the command; a compositor
// started anew between commands is reached.
func TestWaylandDisplay(t *testing.T) {
	guiHost(t)
	for round, display := range []string{waylandName, aliceRuntime + "/" + waylandName} {
		mode := startWeston(t)
		hostIfaces, hostMode := waylandFacts(must(t, alice, onHost+"WAYLAND_DISPLAY="+waylandName+" wayland-info"))
		if hostMode != mode || !strings.Contains(hostIfaces, "wl_shm") {
			t.Fatalf("weston on the host: mode %q (started as %s), globals %q", hostMode, mode, hostIfaces)
		}
		script := onHost + "WAYLAND_DISPLAY=" + display + ` sbx run sh -c 'echo "$WAYLAND_DISPLAY"; wayland-info'`
		out, errOut, code := inHostInt(t, script)
		ifaces, inMode := waylandFacts(out)
		if code != 0 || !strings.HasPrefix(out, "/run/sbx/wayland.") || ifaces != hostIfaces || inMode != mode {
			t.Errorf("round %d, WAYLAND_DISPLAY=%s: wayland-info inside: exit %d, mode %q (want %s), globals %q (want %q)\n%s%s",
				round, display, code, inMode, mode, ifaces, hostIfaces, out, errOut)
		}
		// A buffer whose memory is a descriptor sent through the relay.
		out, errOut, code = inHostInt(t, onHost+"WAYLAND_DISPLAY="+display+" sbx run "+sh(wlclientPath))
		if want := "output mode " + mode + "\nshm buffer 16x8 committed from a memfd\n"; code != 0 || out != want {
			t.Errorf("round %d: wlclient inside: exit %d %q, want %q; %s", round, code, out, want, errOut)
		}
		noRelaysLeft(t)
		// The next round's weston is a new compositor on a new socket.
		must(t, "root", "systemctl stop "+westonUnit)
	}
}

// TestPulseAudio: pactl inside talks to the host's PulseAudio server
// (pipewire-pulse): the same server cookie, also after the server and its
// socket were started anew between two commands.
func TestPulseAudio(t *testing.T) {
	guiHost(t)
	cookie := func(info string) string {
		for _, line := range strings.Split(info, "\n") {
			if strings.HasPrefix(line, "Cookie: ") {
				return line
			}
		}
		return ""
	}
	acrossRestarts(t, "PulseAudio server's cookie", func(round int) string {
		host := must(t, alice, onHost+"pactl info")
		want := cookie(host)
		if want == "" || !strings.Contains(host, "Server Name: PulseAudio (on PipeWire") {
			t.Fatalf("pactl info on the host:\n%s", host)
		}
		out, errOut, code := inHostInt(t, onHost+`sbx run sh -c 'echo "$PULSE_SERVER"; pactl info'`)
		if code != 0 || !strings.HasPrefix(out, "unix:/run/sbx/pulse.") || cookie(out) != want {
			t.Errorf("round %d: pactl info inside: exit %d, want %q\n%s%s", round, code, want, out, errOut)
		}
		return want
	})
}

// acrossRestarts runs round twice, the host's PipeWire and its PulseAudio
// server started anew for each, checking that no relay stays after it;
// round returns what names the server it saw, which must differ between
// the two (else the test could not tell the servers apart).
func acrossRestarts(t *testing.T, what string, round func(round int) string) {
	t.Helper()
	var seen []string
	for i := range 2 {
		startPipeWire(t)
		seen = append(seen, round(i))
		noRelaysLeft(t)
		stopPipeWire(t)
	}
	if seen[0] == seen[1] {
		t.Errorf("the restarted %s is the same, %q: the test cannot tell the servers apart", what, seen[0])
	}
}

// TestPipeWire: pw-cli inside reaches the host's PipeWire daemon: it lists
// the daemon's clients, among them the host's PulseAudio server by its
// process id on the host; also after the daemon and its socket were
// started anew. (pw-cli info 0 would show the daemon's cookie, but a
// trixie pw-cli cannot bind a bookworm daemon's older Core interface.)
func TestPipeWire(t *testing.T) {
	guiHost(t)
	pidRe := regexp.MustCompile(`pipewire\.sec\.pid = "(\d+)"`)
	acrossRestarts(t, "PulseAudio server's pid", func(round int) string {
		pid := strings.TrimSpace(must(t, alice, onHost+"systemctl --user show -p MainPID --value pipewire-pulse.service"))
		if host := must(t, alice, onHost+"pw-cli ls Client"); !strings.Contains(host, `pipewire.sec.pid = "`+pid+`"`) {
			t.Fatalf("pw-cli ls Client on the host does not list pipewire-pulse (pid %s):\n%s", pid, host)
		}
		out, errOut, code := inHostInt(t, onHost+`sbx run sh -c 'echo "$PIPEWIRE_REMOTE"; pw-cli ls Client'`)
		var seen []string
		for _, m := range pidRe.FindAllStringSubmatch(out, -1) {
			seen = append(seen, m[1])
		}
		if code != 0 || !strings.HasPrefix(out, "/run/sbx/pipewire.") || !slices.Contains(seen, pid) {
			t.Errorf("round %d: pw-cli ls Client inside: exit %d, want the client with pid %s\n%s%s", round, code, pid, out, errOut)
		}
		return pid
	})
}

// TestGUIWithoutDisplay: with Display= off, nothing of the host's desktop
// reaches the machine though every server runs: no variable, no relay.
func TestGUIWithoutDisplay(t *testing.T) {
	guiHost(t)
	startWeston(t)
	startPipeWire(t)
	env := onHost + "export DISPLAY=:42 WAYLAND_DISPLAY=" + waylandName + "; "
	check := `sbx run sh -c 'for v in DISPLAY XAUTHORITY WAYLAND_DISPLAY PULSE_SERVER PIPEWIRE_REMOTE; do eval "echo $v=\${$v-unset}"; done; ls -A /run/sbx'`
	// With Display=yes (hostInt's), all of it is there (but XAUTHORITY:
	// Xvfb has no cookie): what this test checks the absence of.
	if out, errOut, code := inHostInt(t, env+check); code != 0 || strings.Count(out, "=unset") != 1 || !strings.Contains(out, "XAUTHORITY=unset") {
		t.Fatalf("with Display=yes: exit %d\n%s%s", code, out, errOut)
	}
	project := "cd " + sh(hostIntDir) + " && "
	must(t, alice, project+"cp .sandbox .sandbox.gui-keep && sed -i '/^Display=yes$/d' .sandbox && sbx allow >/dev/null")
	t.Cleanup(func() { must(t, alice, project+"mv .sandbox.gui-keep .sandbox && sbx allow >/dev/null") })
	out, errOut, code := inHostInt(t, env+check)
	for _, v := range []string{"DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "PULSE_SERVER", "PIPEWIRE_REMOTE"} {
		if !strings.Contains(out, v+"=unset\n") {
			t.Errorf("with Display= off, %s is set inside: exit %d\n%s%s", v, code, out, errOut)
		}
	}
	for _, relay := range []string{"wayland.", "pulse.", "pipewire.", "xauth."} {
		if strings.Contains(out, relay) {
			t.Errorf("with Display= off, /run/sbx has %s*:\n%s", relay, out)
		}
	}
}

// TestGUIZEndSession runs last in this file: alice stops lingering, so her
// user manager and runtime directory on the host go, as at a logout.
func TestGUIZEndSession(t *testing.T) {
	guiHost(t)
	must(t, "root", "loginctl disable-linger "+alice)
	waitUntil(t, "root", "! systemctl is-active -q user@1000.service", time.Minute)
}
