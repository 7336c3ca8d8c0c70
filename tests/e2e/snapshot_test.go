//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// The snapshot tests share one machine of their own, so restoring it never
// disturbs the shared project's machine.
const snapDir = "/home/alice/src/snap proj"

// snapMachine returns the snapshot tests' machine, created and running.
func snapMachine(t *testing.T) string { return snapshotMachine.get(t) }

var snapshotMachine = &onceMachine{what: "the snapshot tests' machine", make: func(t *testing.T) string {
	newProject(t, snapDir, "[Machine]\nPackages=python3-minimal\n")
	name, _ := createProject(t, snapDir)
	inSnap(t, "sbx start")
	return name
}}

// inSnap runs script as alice in the snapshot project; it must succeed.
func inSnap(t *testing.T, script string) string {
	t.Helper()
	return must(t, alice, fmt.Sprintf("cd %s && %s", sh(snapDir), script))
}

// TestSnapshotRestore: snapshot, change a file outside the project bind,
// restore, and the change is gone; the snapshot is listed for alice and
// unreadable to her; snapshot rm removes it.
func TestSnapshotRestore(t *testing.T) {
	name := snapMachine(t)
	inSnap(t, "sbx run --root sh -c 'echo before > /etc/marker'")

	start := time.Now()
	out := inSnap(t, "sbx snapshot clean 2>&1")
	record("snapshot (tar.gz, running machine)", time.Since(start))
	for _, want := range []string{"powering " + name + " off first", "snapshot clean of " + name + " saved", "starting " + name + " again"} {
		if !strings.Contains(out, want) {
			t.Errorf("sbx snapshot did not say %q:\n%s", want, out)
		}
	}
	if out := inSnap(t, "sbx run cat /etc/marker"); out != "before\n" {
		t.Errorf("after the snapshot the machine runs with /etc/marker = %q", out)
	}

	// Listed for alice with a plain directory read; the archive itself
	// (the machine's /etc/shadow inside) is root's alone.
	list := inSnap(t, "sbx snapshots")
	if !regexpMatch(`(?m)^SNAPSHOT\s+TAKEN\s+SIZE\s+KIND\n`+`clean\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+[\d.]+ [kMG]B\s+tar\.gz$`, list) {
		t.Errorf("sbx snapshots:\n%s", list)
	}
	if out := must(t, alice, "sbx snapshots --quiet "+name); out != "clean\n" {
		t.Errorf("sbx snapshots --quiet %s: %q", name, out)
	}
	if _, _, code := asAlice(t, "cat /var/lib/sbx/snapshots/"+name+"/clean.tar.gz >/dev/null"); code == 0 {
		t.Error("alice can read the snapshot archive")
	}
	// The name is taken.
	if _, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx snapshot clean", sh(snapDir))); code == 0 || !strings.Contains(errOut, "already exists") {
		t.Errorf("a second snapshot named clean: exit %d\n%s", code, errOut)
	}

	// Change the machine, outside the project bind, then restore.
	inSnap(t, "sbx run --root sh -c 'touch /etc/changed; echo after > /etc/marker'")
	start = time.Now()
	out = inSnap(t, "sbx restore clean 2>&1")
	record("restore (tar.gz, running machine)", time.Since(start))
	for _, want := range []string{"powering " + name + " off first", "restored from snapshot clean", "starting " + name + " again"} {
		if !strings.Contains(out, want) {
			t.Errorf("sbx restore did not say %q:\n%s", want, out)
		}
	}
	if out := inSnap(t, "sbx run sh -c 'cat /etc/marker; test -e /etc/changed && echo changed-still-there; id -un'"); out != "before\nalice\n" {
		t.Errorf("after restore: %q, want the marker from before, no /etc/changed, and alice", out)
	}
	if out := must(t, "root", "ls -a /var/lib/machines"); strings.Contains(out, ".sbx-build") || strings.Contains(out, ".sbx-old") {
		t.Errorf("restore left a tree behind:\n%s", out)
	}

	// Restoring a stopped machine leaves it stopped.
	must(t, alice, "sbx stop "+name)
	if out := must(t, alice, "sbx restore "+name+" clean 2>&1"); strings.Contains(out, "powering") || strings.Contains(out, "starting") {
		t.Errorf("restoring a stopped machine:\n%s", out)
	}
	if out := must(t, alice, "sbx list"); !regexpMatch(`(?m)^`+name+`\s+stopped`, out) {
		t.Errorf("after restoring a stopped machine, sbx list:\n%s", out)
	}

	// Unknown snapshots are refused with a hint.
	if _, errOut, code := asAlice(t, "sbx restore "+name+" nosuch"); code == 0 || !strings.Contains(errOut, "no snapshot nosuch") || !strings.Contains(errOut, "sbx snapshots") {
		t.Errorf("restore of an unknown snapshot: exit %d\n%s", code, errOut)
	}

	must(t, alice, "sbx snapshot rm "+name+" clean")
	if out, errOut, _ := asAlice(t, "sbx snapshots "+name); strings.Contains(out, "clean") || !strings.Contains(errOut, "no snapshots") {
		t.Errorf("after snapshot rm, sbx snapshots: %q %q", out, errOut)
	}
	if out := must(t, "root", "ls -a /var/lib/sbx/snapshots/"+name+" 2>&1 || true"); strings.Contains(out, "clean") {
		t.Errorf("snapshot rm left files: %s", out)
	}
}

// TestRestoreInterrupted: Ctrl-C while a big snapshot is unpacking leaves
// the machine's tree as it was, no half tree, and the machine starts.
func TestRestoreInterrupted(t *testing.T) {
	snapMachine(t)
	// Enough data that unpacking takes seconds: random (incompressible)
	// bytes and many small files.
	inSnap(t, `sbx run --root sh -c 'mkdir -p /var/big && cd /var/big && head -c 600M /dev/urandom > blob && seq 1 40000 | xargs touch'`)
	start := time.Now()
	inSnap(t, "sbx snapshot big")
	record("snapshot with 600 MB of random data (tar.gz)", time.Since(start))
	inSnap(t, "sbx run --root sh -c 'rm -rf /var/big; touch /etc/after-big'")

	cmd, lines := startSbx(t, snapDir, "sbx", "restore", "big")
	seen := waitLine(t, lines, "Unpacking", 3*time.Minute)
	sigint(t)
	err := cmd.Wait()
	for l := range lines {
		seen = append(seen, l)
	}
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if err == nil || code != 130 {
		t.Fatalf("interrupted restore: %v (exit %d), want exit 130 (was the snapshot unpacked before Ctrl-C arrived?)\n%s", err, code, strings.Join(seen, "\n"))
	}
	if !strings.Contains(strings.Join(seen, "\n"), "interrupted") {
		t.Errorf("interrupted restore did not say so:\n%s", strings.Join(seen, "\n"))
	}
	waitUntil(t, "root", "! systemctl is-active -q 'sbx-restore-*'", 90*time.Second)
	if out := must(t, "root", "ls -a /var/lib/machines"); strings.Contains(out, ".sbx-build") || strings.Contains(out, ".sbx-old") {
		t.Errorf("an interrupted restore left a tree behind:\n%s", out)
	}
	// The old tree, intact, and the machine starts (it was running, so
	// sbx started it again; run would start it otherwise).
	if out := inSnap(t, "sbx run sh -c 'test -e /etc/after-big && echo old-tree; test -e /var/big && echo big-is-back; id -un'"); out != "old-tree\nalice\n" {
		t.Errorf("after an interrupted restore: %q, want the old tree", out)
	}
	// And a restore that is not interrupted does bring the snapshot back.
	inSnap(t, "sbx restore big")
	if out := inSnap(t, "sbx run sh -c 'test -e /etc/after-big && echo after; ls /var/big | wc -l'"); strings.TrimSpace(out) != "40001" {
		t.Errorf("after restoring big: %q, want 40001 entries in /var/big and no /etc/after-big", out)
	}
	inSnap(t, "sbx snapshot rm big && sbx run --root rm -rf /var/big")
}

// TestExportImport: export as alice to a file she owns, import under a new
// name and project; the copy starts, has the file, hostname and owner of
// its own. Existing names and unsafe archives are refused.
func TestExportImport(t *testing.T) {
	name := snapMachine(t)
	inSnap(t, "sbx run --root sh -c 'echo exported > /etc/export-marker'")
	archive := "/home/alice/" + name + ".tar.gz"
	start := time.Now()
	out := inSnap(t, "sbx export "+archive+" 2>&1")
	record("export (tar.gz, running machine)", time.Since(start))
	if !strings.Contains(out, "exported "+name+" to "+archive) || !strings.Contains(out, "powering "+name+" off first") {
		t.Errorf("sbx export said:\n%s", out)
	}
	if st := must(t, alice, "stat -c '%U %a' "+archive); st != "alice 600\n" {
		t.Errorf("the archive is %q, want alice's with mode 600", st)
	}
	if _, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx export %s", sh(snapDir), archive)); code == 0 || !strings.Contains(errOut, "exists") {
		t.Errorf("exporting over an existing file: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx export /home/alice/x.zip", sh(snapDir))); code != 2 || !strings.Contains(errOut, ".tar.zst") {
		t.Errorf("exporting to .zip: exit %d\n%s", code, errOut)
	}

	// The name exists here: refused.
	if _, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx import %s", sh(snapDir), archive)); code == 0 || !strings.Contains(errOut, "exists already") {
		t.Errorf("importing over an existing machine: exit %d\n%s", code, errOut)
	}

	copyName, copyDir := "snap-copy", "/home/alice/src/snap copy"
	newProject(t, copyDir, "[Machine]\nName="+copyName+"\nPackages=python3-minimal\n")
	start = time.Now()
	out = must(t, alice, fmt.Sprintf("cd %s && sbx import %s %s --project . 2>&1", sh(copyDir), archive, copyName))
	record("import (tar.gz)", time.Since(start))
	if !strings.Contains(out, "machine "+copyName+" is ready") {
		t.Errorf("sbx import said:\n%s", out)
	}
	settings := must(t, "root", "cat /etc/systemd/nspawn/"+copyName+".nspawn")
	for _, want := range []string{"# sbx-project=" + copyDir, "# sbx-owner=1000", "Hostname=" + copyName, "Bind=" + copyDir + "\n", "Bind=/var/lib/sbx/machines/" + copyName + ":/run/sbx\n"} {
		if !strings.Contains(settings, want) {
			t.Errorf("imported settings lack %q:\n%s", want, settings)
		}
	}
	got := must(t, alice, fmt.Sprintf("cd %s && sbx run sh -c 'cat /etc/export-marker; hostname; id -un; pwd'", sh(copyDir)))
	if want := "exported\n" + copyName + "\nalice\n" + copyDir + "\n"; got != want {
		t.Errorf("in the imported machine: %q, want %q", got, want)
	}
	// The original is untouched and both run side by side.
	if out := inSnap(t, "sbx run hostname"); out != name+"\n" {
		t.Errorf("the original's hostname is %q", out)
	}
	if id1, id2 := must(t, "root", "cat /var/lib/machines/"+name+"/etc/machine-id"), must(t, "root", "cat /var/lib/machines/"+copyName+"/etc/machine-id"); id1 == id2 {
		t.Errorf("the copy shares the original's machine id %q", id1)
	}
	must(t, alice, fmt.Sprintf("cd %s && sbx rm --force", sh(copyDir)))

	// An archive with an entry below a symbolic link that points out of
	// the machine is refused before anything is written.
	must(t, alice, fmt.Sprintf(`set -e
rm -rf /tmp/evil /home/alice/bad && mkdir -p /home/alice/bad/a/rootfs /home/alice/bad/b/rootfs/etc && cd /home/alice/bad
cp /etc/systemd/nspawn/%[1]s.nspawn evil.nspawn
ln -s /tmp a/rootfs/etc
echo owned > b/rootfs/etc/evil
tar -cf bad.tar evil.nspawn -C a rootfs -C ../b rootfs/etc/evil`, name))
	_, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx import /home/alice/bad/bad.tar", sh(snapDir)))
	if code == 0 || !strings.Contains(errOut, "below the symbolic link") {
		t.Errorf("importing an archive that writes through a symlink: exit %d\n%s", code, errOut)
	}
	if out := must(t, "root", "ls -a /tmp /var/lib/machines; ls /etc/systemd/nspawn"); strings.Contains(out, "evil") || strings.Contains(out, ".sbx-build") {
		t.Errorf("a refused import left something behind:\n%s", out)
	}
}

// startSbx starts argv as alice in dir and returns it with its stderr
// lines arriving on a channel.
func startSbx(t *testing.T, dir string, argv ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := host.CommandSpec(testCtx(t), testhost.Spec{User: alice, Dir: dir, Argv: argv})
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return cmd, lines
}
