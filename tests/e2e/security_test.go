//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
	"golang.org/x/sys/unix"
)

// The security tests share one machine, made in a project that binds a
// directory shared through a group (alice is in group team, 2775), and one
// export of it, from which every hostile archive is made.
const (
	secDir     = "/home/alice/src/sec proj"
	secArchive = "/home/alice/sec-export.tar"
	teamDir    = "/srv/team"
	canary     = "/srv/canary"
)

// secMachine returns the security tests' machine (stopped) and makes the
// export once.
func secMachine(t *testing.T) string { return securityMachine.get(t) }

var securityMachine = &onceMachine{what: "the security tests' machine", make: func(t *testing.T) string {
	must(t, "root", fmt.Sprintf(`set -e
getent group team >/dev/null || groupadd -g 2345 team
usermod -aG team %[1]s
mkdir -p %[2]s && chgrp team %[2]s && chmod 2775 %[2]s`, alice, teamDir))
	newProject(t, secDir, "[Machine]\nPackages=python3-minimal\n\n[Files]\nBind="+teamDir+"\n")
	name, _ := createProject(t, secDir)
	must(t, alice, fmt.Sprintf("cd %s && sbx export %s 2>&1", sh(secDir), secArchive))
	return name
}}

// TestSupplementaryGroups: alice's extra group is hers inside the machine
// too (same name and GID), so a directory shared through it (setgid, 2775,
// not alice's) is writable by sbx run.
func TestSupplementaryGroups(t *testing.T) {
	secMachine(t)
	out := must(t, alice, fmt.Sprintf(`cd %s && sbx run sh -c 'id -Gn; touch %s/from-machine && stat -c %%G %s/from-machine'`, sh(secDir), teamDir, teamDir))
	if !regexp.MustCompile(`(?m)^.*\bteam\b.*\nteam$`).MatchString(strings.TrimSpace(out)) {
		t.Errorf("inside the machine alice's groups and the new file's group: %q, want team in both", out)
	}
	must(t, alice, fmt.Sprintf("cd %s && sbx stop", sh(secDir)))
}

// canaryState is everything a hostile import must not touch on the host:
// the canary tree (content and mtime) and the host files import writes in
// a tree (hostname, hosts, machine-id, users, sudoers).
func canaryState(t *testing.T) string {
	t.Helper()
	return must(t, "root", fmt.Sprintf(`cd / && find %[1]s /etc/sudoers.d /etc/sbx /root /home/bob -printf '%%p %%y %%m %%U %%T@ %%s\n' 2>/dev/null | sort
find %[1]s -type f -exec md5sum {} + | sort
md5sum /etc/hostname /etc/hosts /etc/machine-id /etc/passwd /etc/group /etc/shadow /etc/gshadow
stat -c '%%n %%Y' /etc/hostname /etc/hosts /etc/machine-id /etc/passwd /etc/group /etc/shadow`, canary))
}

// TestHostileImports imports a corpus of altered archives. Each is refused
// or imported without touching any canary, and the machines made bind the
// directory alice named, never the one the archive records.
func TestHostileImports(t *testing.T) {
	secMachine(t)
	must(t, "root", fmt.Sprintf(`set -e
rm -rf %[1]s; mkdir -p %[1]s/etc %[1]s/home %[1]s/var %[1]s/etc/sudoers.d %[1]s/etc/sbx
for f in etc/hostname etc/hosts etc/machine-id etc/passwd etc/group etc/shadow etc/sbx/agent.conf home/x var/x; do echo canary > %[1]s/$f; done
find %[1]s -exec touch -h -d 2020-01-01 {} +`, canary))
	before := canaryState(t)

	pwn := "#!/bin/sh\n# runs as host root if sbx calls it outside a container\ntouch " + canary + "/pwned-$(basename $0)\n" +
		"mount -t proc proc /proc 2>/dev/null; echo pwned > /proc/1/root" + canary + "/pwned-proc 2>/dev/null\nexit 0\n"
	type variant struct {
		name   string
		edit   entryEdit
		extra  []archEntry
		refuse string // "" when the import may succeed
	}
	variants := []variant{
		{name: "useradd", edit: withoutUser(alice, replaced("rootfs/usr/sbin/useradd", pwn, replaced("rootfs/usr/sbin/groupadd", pwn, replaced("rootfs/usr/sbin/usermod", pwn, keep))))},
		{name: "etc-link", edit: slim(linkedDir("rootfs/etc", canary+"/etc", keep))},
		{name: "home-link", edit: slim(withoutUser(alice, linkedDir("rootfs/home", canary+"/home", keep))), extra: []archEntry{sym("rootfs/home", canary+"/home")}},
		{name: "var-link", edit: slim(linkedDir("rootfs/var", canary+"/var", keep)), extra: []archEntry{sym("rootfs/var", canary+"/var")}},
		{name: "sudoers-link", edit: slim(linkedDir("rootfs/etc/sudoers.d", "/etc/sudoers.d", linkedDir("rootfs/etc/sbx", canary+"/etc/sbx", keep)))},
		{name: "project-etc", edit: slim(recordedProject("/etc", keep))},
		{name: "project-root", edit: slim(recordedProject("/root", keep))},
		{name: "project-bob", edit: slim(recordedProject("/home/bob", keep))},
		{name: "links", edit: slim(keep), extra: []archEntry{sym("rootfs/abs", "/etc/shadow"), sym("rootfs/rel", "../../../../etc/shadow"), hard("rootfs/hl", "rootfs/etc/passwd")}},
		{name: "hard-abs", edit: slim(keep), extra: []archEntry{hard("rootfs/hl", "/etc/shadow")}, refuse: "outside rootfs"},
		{name: "hard-dotdot", edit: slim(keep), extra: []archEntry{hard("rootfs/hl", "rootfs/../../../etc/shadow")}, refuse: "not a clean relative path"},
		{name: "entry-dotdot", edit: slim(keep), extra: []archEntry{reg("rootfs/../../../.."+canary+"/dotdot", "x", 0o644)}, refuse: "not a clean relative path"},
		{name: "below-link", edit: slim(keep), extra: []archEntry{sym("rootfs/out", canary), reg("rootfs/out/below", "x", 0o644)}, refuse: "below the symbolic link"},
		{name: "device", edit: slim(keep), extra: []archEntry{blockDev("rootfs/tmp/disk", 8, 0)}, refuse: "device node"},
		{name: "setuid", edit: slim(keep), extra: []archEntry{reg("rootfs/usr/local/bin/suid", "#!/bin/sh\nid\n", 0o4755)}},
		{name: "huge-settings", edit: hugeSettings(slim(keep)), refuse: "no sbx settings file"},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			archive := "/home/alice/hostile/" + v.name + ".tar"
			alterArchive(t, secArchive, archive, v.edit, v.extra...)
			machine := "hostile-" + v.name
			dir := "/home/alice/src/imp-" + v.name
			must(t, alice, "mkdir -p "+sh(dir))
			start := time.Now()
			stdout, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx import %s --name %s", sh(dir), archive, machine))
			took := time.Since(start)
			if after := canaryState(t); after != before {
				t.Errorf("importing %s touched the host:\n--- before\n%s\n--- after\n%s", v.name, before, after)
			}
			if out, _, _ := asRoot(t, "ls "+canary); strings.Contains(out, "pwned") || strings.Contains(out, "dotdot") {
				t.Errorf("the archive's programs or paths reached the host: %s", out)
			}
			if v.refuse != "" {
				if code == 0 || !strings.Contains(stderr, v.refuse) {
					t.Errorf("import of %s: exit %d, want a refusal saying %q\n%s%s", v.name, code, v.refuse, stdout, stderr)
				}
				if out := must(t, "root", "ls -a /var/lib/machines /etc/systemd/nspawn"); strings.Contains(out, machine) {
					t.Errorf("a refused import left something behind:\n%s", out)
				}
				if v.name == "huge-settings" && took > 30*time.Second {
					t.Errorf("refusing a huge settings entry took %s", took)
				}
				return
			}
			if code != 0 {
				// Refusing is fine too, as long as it is clean.
				t.Logf("import of %s refused: %s", v.name, stderr)
				if out := must(t, "root", "ls -a /var/lib/machines /etc/systemd/nspawn"); strings.Contains(out, machine) {
					t.Errorf("a refused import left something behind:\n%s", out)
				}
				return
			}
			defer asAlice(t, "sbx rm --force "+machine) // best effort
			binds := must(t, "root", "grep -E '^Bind(ReadOnly)?=' /etc/systemd/nspawn/"+machine+".nspawn")
			for _, l := range strings.Split(strings.TrimSpace(binds), "\n") {
				v := strings.TrimPrefix(strings.TrimPrefix(l, "BindReadOnly="), "Bind=")
				if v != dir && v != "/usr/local/lib/sbx" && v != "/var/lib/sbx/machines/"+machine+":/run/sbx" {
					t.Errorf("the imported machine binds %q, which alice did not name (she named %s)", v, dir)
				}
			}
			if strings.HasPrefix(v.name, "project-") && !strings.Contains(stderr, "was made for the project") {
				t.Errorf("import did not say which project the archive recorded:\n%s", stderr)
			}
			switch v.name {
			case "useradd":
				// The user was added from Go, with her groups, and the machine
				// boots and runs her commands.
				tree := "/var/lib/machines/" + machine
				if out := must(t, "root", "grep -c '^alice:' "+tree+"/etc/passwd "+tree+"/etc/shadow; grep '^team:' "+tree+"/etc/group"); !strings.Contains(out, ":1\n") || !strings.Contains(out, "team:x:2345:") {
					t.Errorf("alice in the imported tree:\n%s", out)
				}
				must(t, alice, fmt.Sprintf("cd %s && printf '[Machine]\\nName=%s\\n' > .sandbox && sbx allow >/dev/null", sh(dir), machine))
				out := must(t, alice, fmt.Sprintf("cd %s && sbx start %s && sbx run sh -c 'id -un; pwd; test -w ~ && echo home-ok'", sh(dir), machine))
				if out != "alice\n"+dir+"\nhome-ok\n" {
					t.Errorf("in the imported machine: %q", out)
				}
				must(t, alice, "sbx stop "+machine)
			case "setuid":
				if _, _, code := asAlice(t, "ls /var/lib/machines/"+machine+"/usr/local/bin/suid"); code == 0 {
					t.Error("alice reaches a setuid file of an imported tree on the host")
				}
			}
		})
	}

	// Where alice names no project, the current directory is the project,
	// and it must be one sbx init accepts.
	for _, dir := range []string{"/home/alice", "/"} {
		if _, stderr, code := asAlice(t, fmt.Sprintf("cd %s && sbx import %s --name hostile-cwd", dir, secArchive)); code == 0 || !strings.Contains(stderr, "cannot be a project root") {
			t.Errorf("import in %s: exit %d\n%s", dir, code, stderr)
		}
	}
	if _, stderr, code := asAlice(t, fmt.Sprintf("cd /tmp && sbx import %s --name hostile-cwd --project /etc", secArchive)); code == 0 || !strings.Contains(stderr, "cannot be a project root") {
		t.Errorf("import with --project /etc: exit %d\n%s", code, stderr)
	}
}

// TestStartDuringRestore: while a restore replaces the machine's tree,
// machinectl start does not boot it and sbx start waits; afterwards the
// machine is the restored one and starts.
func TestStartDuringRestore(t *testing.T) {
	name := secMachine(t)
	t.Cleanup(func() {
		if t.Failed() {
			out, _, _ := asRoot(t, "journalctl --no-pager -u systemd-nspawn@"+name+" -n 40")
			t.Logf("the machine's journal:\n%s", out)
		}
	})
	in := func(s string) string { return must(t, alice, fmt.Sprintf("cd %s && %s", sh(secDir), s)) }
	in("sbx run --root sh -c 'echo snap > /etc/marker; head -c 150M /dev/urandom > /var/big'")
	in("sbx snapshot busy")
	in("sbx run --root sh -c 'echo later > /etc/marker'")
	in("sbx stop")

	restore, lines := startSbx(t, secDir, "sbx", "restore", "busy")
	seen := waitLine(t, lines, "Unpacking", 2*time.Minute)
	// Anyone's start: machinectl's (as alice through polkit), then sbx's.
	must(t, alice, "machinectl start "+name+" || true")
	if out, _, _ := asAlice(t, "machinectl show --property=State "+name+" 2>&1"); strings.Contains(out, "State=running") {
		t.Errorf("machinectl started %s during its restore", name)
	}
	start := host.CommandSpec(testCtx(t), testhost.Spec{User: alice, Dir: secDir, Argv: []string{"sbx", "start"}})
	startOut := &strings.Builder{}
	start.Stderr, start.Stdout = startOut, startOut
	if err := start.Start(); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		seen = append(seen, l)
	}
	if err := restore.Wait(); err != nil {
		t.Fatalf("restore: %v\n%s", err, strings.Join(seen, "\n"))
	}
	if err := start.Wait(); err != nil {
		t.Fatalf("sbx start after the restore: %v\n%s", err, startOut)
	}
	if !strings.Contains(startOut.String(), "waiting for sbx restore of "+name) {
		t.Errorf("sbx start during the restore did not say it waits:\n%s", startOut)
	}
	if out := in("sbx run cat /etc/marker"); out != "snap\n" {
		t.Errorf("after the restore /etc/marker is %q, want the snapshot's", out)
	}
	in("sbx run --root rm -f /var/big")
	in("sbx stop && sbx snapshot rm " + name + " busy")
}

// TestStaleBusyMarkCleared: the mark a killed operation left (its process
// gone, its lock free) does not keep the machine from starting: sbx start
// has the privileged helper clear it, says so, and starts.
func TestStaleBusyMarkCleared(t *testing.T) {
	name := secMachine(t)
	in := func(s string) (string, string, int) { return asAlice(t, fmt.Sprintf("cd %s && %s", sh(secDir), s)) }
	// A snapshot first, so the busy drop-in is in place as after any real operation.
	must(t, alice, fmt.Sprintf("cd %s && sbx stop && sbx snapshot stale && sbx snapshot rm %s stale", sh(secDir), name))
	marker := "/run/sbx/busy/" + name
	t.Cleanup(func() { asRoot(t, "rm -f "+marker) })
	must(t, "root", fmt.Sprintf(`pid=$(sh -c 'echo $$') && echo "restore $pid" > %s`, marker))
	if _, errOut, code := in("sbx start"); code != 0 || !strings.Contains(errOut, "cleared the busy mark a killed sbx restore left on "+name) {
		t.Errorf("sbx start with a killed restore's mark: exit %d, stderr:\n%s", code, errOut)
	}
	if st := machineState(t, name); st != "running" {
		t.Errorf("%s is %s after sbx start, want running", name, st)
	}
	must(t, "root", "test ! -e "+marker)
}

// TestLockDirOfAnotherUser: a lock directory someone else made is refused,
// and the old world-writable place is not used at all.
func TestLockDirOfAnotherUser(t *testing.T) {
	name := secMachine(t)
	must(t, "root", "rm -rf /run/sbx/locks && install -d -o bob -m 0777 /run/sbx/locks")
	defer must(t, "root", "rm -rf /run/sbx/locks")
	_, stderr, code := asAlice(t, "sbx snapshot "+name+" lockcheck")
	if code == 0 || !strings.Contains(stderr, "/run/sbx/locks is owned by uid") {
		t.Errorf("with a lock directory of bob's: exit %d\n%s", code, stderr)
	}
	must(t, "root", "rm -rf /run/sbx/locks")
	// bob plants the old lock directory as a link to his own: nothing lands there.
	must(t, "root", "rm -rf /run/lock/sbx")
	must(t, bob, "mkdir -p /home/bob/trap && ln -s /home/bob/trap /run/lock/sbx")
	defer must(t, "root", "rm -rf /run/lock/sbx")
	must(t, alice, "sbx snapshot "+name+" lockcheck && sbx snapshot rm "+name+" lockcheck")
	if out := must(t, "root", "ls -A /home/bob/trap"); out != "" {
		t.Errorf("root created files through bob's link: %s", out)
	}
	if out := must(t, "root", "stat -c '%U %a' /run/sbx/locks"); out != "root 700\n" {
		t.Errorf("/run/sbx/locks is %q", out)
	}
}

// TestRemoveImmutable: files the machine's root made immutable or
// append-only do not stop rm half-way: the machine is gone entirely.
func TestRemoveImmutable(t *testing.T) {
	secMachine(t)
	dir := "/home/alice/src/imp-rm"
	machine := "rm-immutable"
	must(t, alice, fmt.Sprintf("mkdir -p %s && cd %s && sbx import %s --name %s --project . && printf '[Machine]\\nName=%s\\n' > .sandbox && sbx allow >/dev/null", dir, dir, secArchive, machine, machine))
	must(t, alice, fmt.Sprintf("cd %s && sbx run --root sh -c 'touch /etc/immutable /var/log/append && mkdir /opt/locked && touch /opt/locked/f'", dir))
	must(t, alice, "sbx stop "+machine)
	// What chattr +i / +a in the machine does (minbase has no chattr): the
	// flags set with the ioctl, from outside, on the same files.
	tree := filepath.Join(host.Root(), "var/lib/machines", machine)
	for p, flag := range map[string]int{"etc/immutable": 0x10, "var/log/append": 0x20, "opt/locked": 0x10} {
		setFlags(t, filepath.Join(tree, p), flag)
	}
	if _, stderr, code := asAlice(t, "sbx rm --force "+machine); code != 0 {
		t.Errorf("sbx rm of a machine with immutable files: exit %d\n%s", code, stderr)
	}
	if out := must(t, "root", "ls -a /var/lib/machines /etc/systemd/nspawn /var/lib/sbx/machines"); strings.Contains(out, machine) {
		t.Errorf("rm left part of the machine:\n%s", out)
	}
}

// TestUntrustedTextEscaped: a directory name with an escape sequence is
// shown escaped, never sent to the terminal raw.
func TestUntrustedTextEscaped(t *testing.T) {
	dir := "/home/alice/src/esc\x1b[2Jdir"
	must(t, alice, fmt.Sprintf("mkdir -p %s && printf '[Machine]\\nPackages=\\033]0;title\\007x\\n' > %s/.sandbox", sh(dir), sh(dir)))
	for _, cmd := range []string{"sbx run true", "sbx allow"} {
		_, stderr, _ := asAlice(t, fmt.Sprintf("cd %s && %s", sh(dir), cmd))
		if strings.ContainsAny(stderr, "\x1b\x07") || !strings.Contains(stderr, `\e`) {
			t.Errorf("%s printed control characters raw or not at all: %q", cmd, stderr)
		}
	}
}

// TestEditorWriteRefusesLinkOut: a cloned repository's .vscode that links
// out of the project is not written through.
func TestEditorWriteRefusesLinkOut(t *testing.T) {
	dir := "/home/alice/src/vslink"
	must(t, alice, fmt.Sprintf("rm -rf %[1]s /home/alice/outside && mkdir -p %[1]s /home/alice/outside && cd %[1]s && printf '[Machine]\\n' > .sandbox && ln -s /home/alice/outside .vscode", dir))
	_, stderr, code := asAlice(t, "cd "+dir+" && sbx editor vscode --write")
	if code == 0 || !strings.Contains(stderr, "out of the project") {
		t.Errorf("editor --write through a linked .vscode: exit %d\n%s", code, stderr)
	}
	if out := must(t, alice, "ls -A /home/alice/outside"); out != "" {
		t.Errorf("files written out of the project: %s", out)
	}
}

// setFlags ors flag (FS_IMMUTABLE_FL 0x10, FS_APPEND_FL 0x20) into the
// inode flags of path.
func setFlags(t *testing.T, path string, flag int) {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	fl, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS)
	if err == nil {
		err = unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, fl|flag)
	}
	if err != nil {
		t.Fatalf("setting flags on %s: %v", path, err)
	}
	t.Cleanup(func() { // best effort: never leave an undeletable file behind
		if fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
			if fl, err := unix.IoctlGetInt(fd, unix.FS_IOC_GETFLAGS); err == nil {
				unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, fl&^0x30)
			}
			unix.Close(fd)
		}
	})
}

// TestNoTransferSocket: the archive reaches the root unit as a descriptor
// in StartTransientUnit, so no socket that anyone on the host (or a
// machine's root on its network) could connect to exists meanwhile.
func TestNoTransferSocket(t *testing.T) {
	secMachine(t)
	dir, machine := "/home/alice/src/imp-xfer", "xfer-check"
	must(t, alice, "mkdir -p "+dir)
	cmd, lines := startSbx(t, dir, "sbx", "import", secArchive, "--name", machine)
	done := make(chan error, 1)
	go func() {
		var seen []string
		for l := range lines {
			seen = append(seen, l)
		}
		err := cmd.Wait()
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, strings.Join(seen, "\n"))
		}
		done <- err
	}()
	polls, found := 0, ""
	var importErr error
	for finished := false; !finished; polls++ {
		select {
		case importErr = <-done:
			finished = true
		default:
		}
		out, _, _ := as(t, bob, "grep sbx-xfer /proc/net/unix || true")
		if strings.TrimSpace(out) != "" {
			found = out
		}
	}
	if importErr != nil {
		t.Fatalf("sbx import: %v", importErr)
	}
	if found != "" {
		t.Errorf("bob sees a transfer socket during the import:\n%s", found)
	}
	t.Logf("looked %d times during the import", polls)
	must(t, alice, "sbx rm --force "+machine)
}
