//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLifecycle walks a machine through create, start, status, list, stop
// and rm as alice, and checks what the seed sets up, from inside.
func TestLifecycle(t *testing.T) {
	name := shared(t)

	// machinectl (root) sees an ordinary machine.
	if out := must(t, "root", "machinectl list --no-legend"); !strings.Contains(out, name) {
		t.Errorf("machinectl list does not show %s:\n%s", name, out)
	}
	settings := must(t, "root", "cat /etc/systemd/nspawn/"+name+".nspawn")
	for _, want := range []string{"PrivateUsers=no", "Private=no", "Hostname=" + name, `Bind=/home/alice/src/shared proj`} {
		if !strings.Contains(settings, want) {
			t.Errorf(".nspawn lacks %q:\n%s", want, settings)
		}
	}

	// Inside: same user, same IDs, same path, hostname, no user namespace,
	// the host's network namespace.
	out, errOut, code := inShared(t, `sbx run sh -c 'id -un; id -u; id -g; pwd; hostname; cat /proc/self/uid_map; readlink /proc/self/ns/net; echo $HOME'`)
	if code != 0 {
		t.Fatalf("sbx run: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	hostNet := strings.TrimSpace(must(t, alice, "readlink /proc/self/ns/net"))
	want := []string{"alice", "1000", "1000", sharedDir, name, "0 0 4294967295", hostNet, "/home/alice"}
	if len(lines) != len(want) {
		t.Fatalf("inside the machine got %q, want %q", lines, want)
	}
	for i := range want {
		if strings.Join(strings.Fields(lines[i]), " ") != want[i] {
			t.Errorf("line %d inside the machine: got %q, want %q", i, lines[i], want[i])
		}
	}

	// A file written inside lands in the project on the host, owned by alice.
	must(t, alice, fmt.Sprintf("cd %s && sbx run sh -c 'echo hi > made-inside'", sh(sharedDir)))
	if owner := must(t, alice, fmt.Sprintf("stat -c %%U:%%G %s/made-inside", sh(sharedDir))); strings.TrimSpace(owner) != "alice:alice" {
		t.Errorf("file made inside is owned by %q on the host", owner)
	}

	// status and list.
	status := must(t, alice, fmt.Sprintf("cd %s && sbx status", sh(sharedDir)))
	for _, want := range []string{"Machine:  " + name, "State:    running", "debian trixie", "Project:  " + sharedDir, "Disk:", "Leader:"} {
		if !strings.Contains(status, want) {
			t.Errorf("sbx status lacks %q:\n%s", want, status)
		}
	}
	if strings.Contains(status, "unknown") {
		t.Errorf("sbx status could not measure the disk:\n%s", status)
	}
	list := must(t, alice, "sbx list")
	if !regexpMatch(`(?m)^`+name+`\s+running\s+debian trixie\s+`+sharedDir+`$`, list) {
		t.Errorf("sbx list:\n%s", list)
	}

	// stop, then a command starts it again lazily.
	start := time.Now()
	must(t, alice, "sbx stop "+name)
	record("stop", time.Since(start))
	if out := must(t, alice, "sbx list"); !regexpMatch(`(?m)^`+name+`\s+stopped`, out) {
		t.Errorf("after stop, sbx list:\n%s", out)
	}
	if out := must(t, "root", "machinectl list --no-legend"); strings.Contains(out, name) {
		t.Errorf("after stop, machinectl still lists %s", name)
	}
	start = time.Now()
	out, errOut, code = inShared(t, "sbx run echo back")
	record("sbx run on a stopped machine (start + run)", time.Since(start))
	if code != 0 || out != "back\n" {
		t.Fatalf("sbx run on a stopped machine: exit %d, %q, %s", code, out, errOut)
	}
	must(t, alice, "sbx restart "+name)
	if out, _, code := inShared(t, "sbx run true"); code != 0 {
		t.Fatalf("after restart: exit %d %s", code, out)
	}
}

// TestRemove creates a second project from the cached base, and removes it.
func TestRemove(t *testing.T) {
	shared(t) // the base is cached by now
	dir := "/home/alice/src/second"
	newProject(t, dir, "[Machine]\nPackages=python3-minimal\n")
	name, took := createProject(t, dir)
	record("create, from the cached base", took)
	must(t, alice, fmt.Sprintf("cd %s && sbx start", dir))

	// rm without a terminal and without --force refuses and keeps it.
	if _, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx rm </dev/null", dir)); code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("sbx rm without --force: exit %d, %s", code, errOut)
	}
	must(t, alice, fmt.Sprintf("cd %s && sbx rm --force", dir))
	if out := must(t, alice, "sbx list --quiet"); strings.Contains(out, name) {
		t.Errorf("after rm, sbx list still shows %s", name)
	}
	leftovers := must(t, "root", fmt.Sprintf("ls -a /var/lib/machines /var/lib/sbx/machines; ls /etc/systemd/nspawn; machinectl list-images --no-legend"))
	if strings.Contains(leftovers, name) {
		t.Errorf("after rm, %s is still somewhere:\n%s", name, leftovers)
	}
	// The project itself is untouched.
	must(t, alice, fmt.Sprintf("test -f %s/.sandbox", dir))
}

func regexpMatch(pattern, s string) bool {
	return regexp.MustCompile(pattern).MatchString(s)
}
