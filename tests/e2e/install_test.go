//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// installedFiles is everything install.sh puts on a host besides packages.
var installedFiles = []string{
	"/usr/local/lib/sbx/sbx",
	"/usr/local/bin/sbx",
	"/etc/polkit-1/rules.d/50-sbx.rules",
}

var completionFiles = map[string]string{
	"bash": "/usr/local/share/bash-completion/completions/sbx",
	"zsh":  "/usr/local/share/zsh/site-functions/_sbx",
	"fish": "/etc/fish/completions/sbx.fish",
}

func TestInstallPutsAliceInGroupSbx(t *testing.T) {
	if groups := must(t, alice, "id -nG"); !hasWord(groups, "sbx") {
		t.Errorf("alice's groups = %q, want sbx among them", groups)
	}
	if groups := must(t, bob, "id -nG"); hasWord(groups, "sbx") {
		t.Errorf("bob's groups = %q: bob was never asked to be in sbx", groups)
	}
	// A system group, as groupadd --system makes it.
	gid := strings.TrimSpace(must(t, "root", "getent group sbx | cut -d: -f3"))
	var n int
	if _, err := fmt.Sscan(gid, &n); err != nil || n >= 1000 {
		t.Errorf("group sbx has gid %q, want a system gid below 1000", gid)
	}
}

func TestInstallLaysOutBinaryAndState(t *testing.T) {
	got := must(t, "root", `stat -c '%n %a %U %F' /usr/local/lib/sbx /usr/local/lib/sbx/sbx /var/lib/sbx/machines
readlink -f /usr/local/bin/sbx`)
	want := "/usr/local/lib/sbx 755 root directory\n" +
		"/usr/local/lib/sbx/sbx 755 root regular file\n" +
		"/var/lib/sbx/machines 755 root directory\n" +
		"/usr/local/lib/sbx/sbx\n"
	if got != want {
		t.Errorf("installed layout:\n%s\nwant:\n%s", got, want)
	}
	// The installed binary is the one built for this run, and alice finds it on PATH.
	must(t, "root", "cmp "+sbxBinary+" /usr/local/lib/sbx/sbx")
	if v := must(t, alice, "command -v sbx && sbx --version"); !strings.HasPrefix(v, sbxPath+"\nsbx ") {
		t.Errorf("sbx as alice: %q", v)
	}
}

func TestInstallWritesCompletionsThatSbxPrints(t *testing.T) {
	for shell, file := range completionFiles {
		printed, _, code := asRoot(t, "sbx completion "+shell)
		installed, _, exists := asRoot(t, "cat "+file)
		switch {
		case code == 0 && exists != 0:
			t.Errorf("%s: sbx completion works but %s was not installed", shell, file)
		case code == 0 && installed != printed:
			t.Errorf("%s: %s differs from `sbx completion %s`", shell, file, shell)
		case code != 0 && exists == 0:
			t.Errorf("%s: sbx completion fails but %s exists", shell, file)
		}
	}
}

// TestCompletionsInLoginShells: each shell, as a user has it (a login
// shell, no extra variables; for zsh the compinit every completing user
// has in ~/.zshrc), finds the installed completions by itself and offers
// sbx's subcommands. bob: a fresh account, and completing needs no group.
func TestCompletionsInLoginShells(t *testing.T) {
	subcommands := []string{"init", "run", "shell", "doctor"}
	offers := func(shell, out string) {
		t.Helper()
		words := map[string]bool{}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				words[f[0]] = true
			}
		}
		for _, w := range subcommands {
			if !words[w] {
				t.Errorf("%s: completing 'sbx ' does not offer %q; it offered:\n%s", shell, w, out)
			}
		}
	}
	offers("fish", must(t, bob, `fish -l -c 'complete -C "sbx "'`))
	offers("bash", must(t, bob, `bash -l -i -c '
for load in _comp_load __load_completion; do declare -F $load >/dev/null && { $load sbx; break; }; done
spec=$(complete -p sbx) || exit 1
fn=$(printf "%s\n" "$spec" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
COMP_WORDS=(sbx ""); COMP_CWORD=1; COMP_LINE="sbx "; COMP_POINT=4
"$fn" sbx "" sbx; printf "%s\n" "${COMPREPLY[@]}"' 2>/dev/null`))
	must(t, bob, `test -e ~/.zshrc || echo 'autoload -Uz compinit && compinit' > ~/.zshrc`)
	zsh := must(t, bob, `zsh -l -i -c 'print -r -- ${_comps[sbx]} ${^fpath}/_sbx(N)' 2>/dev/null`)
	if zsh != "_sbx "+completionFiles["zsh"]+"\n" {
		t.Errorf("zsh: sbx completes with / from %q, want _sbx from %s", zsh, completionFiles["zsh"])
	}
}

// startUnitScript asks systemd over D-Bus for a transient unit running
// /bin/true that stays active afterwards: the call that needs
// org.freedesktop.systemd1.manage-units.
func startUnitScript(unit string) string {
	return fmt.Sprintf(`busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
  org.freedesktop.systemd1.Manager StartTransientUnit 'ssa(sv)a(sa(sv))' %s fail \
  3 Type s oneshot RemainAfterExit b true ExecStart 'a(sasb)' 1 /bin/true 1 /bin/true false 0`, unit)
}

// stopUnitScript stops it; "replace" because the oneshot's start job may
// still be queued right after StartTransientUnit returns.
func stopUnitScript(unit string) string {
	return fmt.Sprintf(`busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 \
  org.freedesktop.systemd1.Manager StopUnit ss %s replace`, unit)
}

var deniedRe = regexp.MustCompile(`(?i)access denied|interactive authentication required|not authorized|permission denied`)

func TestPolkitLetsGroupSbxManageUnits(t *testing.T) {
	unit := fmt.Sprintf("sbx-e2e-true-%d.service", time.Now().UnixNano())

	_, stderr, code := as(t, bob, startUnitScript(unit))
	if code == 0 || !deniedRe.MatchString(stderr) {
		t.Errorf("bob (not in sbx) started a unit: exit %d, stderr %q", code, stderr)
	}
	if state := must(t, "root", "systemctl show -p LoadState --value "+unit); state != "not-found\n" {
		t.Errorf("after bob's refused call the unit is %q, want not-found", state)
	}

	must(t, alice, startUnitScript(unit))
	waitUntil(t, "root", fmt.Sprintf(`s="$(systemctl show -p ActiveState --value %[1]s) $(systemctl show -p Result --value %[1]s) $(systemctl show -p ExecMainStatus --value %[1]s)"
echo "$s"; [ "$s" = "active success 0" ]`, unit), 30*time.Second)
	if _, stderr, code := as(t, bob, stopUnitScript(unit)); code == 0 || !deniedRe.MatchString(stderr) {
		t.Errorf("bob stopped alice's unit: exit %d, stderr %q", code, stderr)
	}
	must(t, alice, stopUnitScript(unit))
	waitUntil(t, "root", fmt.Sprintf(`s=$(systemctl show -p ActiveState --value %s); echo "$s"; [ "$s" = inactive ]`, unit), 30*time.Second)
}

func TestPolkitLetsGroupSbxManageImages(t *testing.T) {
	image := fmt.Sprintf("sbx-e2e-probe-%d", time.Now().UnixNano())
	must(t, "root", "mkdir -p /var/lib/machines/"+image+"/etc && touch /var/lib/machines/"+image+"/etc/os-release")
	t.Cleanup(func() { asRoot(t, "rm -rf /var/lib/machines/"+image) })
	remove := fmt.Sprintf(`busctl call org.freedesktop.machine1 /org/freedesktop/machine1 \
  org.freedesktop.machine1.Manager RemoveImage s %s`, image)

	if _, stderr, code := as(t, bob, remove); code == 0 || !deniedRe.MatchString(stderr) {
		t.Errorf("bob (not in sbx) removed an image: exit %d, stderr %q", code, stderr)
	}
	must(t, "root", "test -d /var/lib/machines/"+image)

	must(t, alice, remove)
	waitUntil(t, "root", "! test -e /var/lib/machines/"+image, 30*time.Second)
}

// hostState describes what install.sh manages, to compare two installs.
const hostStateScript = `cd /
sha256sum usr/local/lib/sbx/sbx etc/polkit-1/rules.d/50-sbx.rules \
  usr/local/share/bash-completion/completions/sbx usr/local/share/zsh/site-functions/_sbx \
  etc/fish/completions/sbx.fish 2>&1
readlink usr/local/bin/sbx
getent group sbx
stat -c '%n %a %U' var/lib/sbx var/lib/sbx/machines usr/local/lib/sbx
ls -A /usr/local/lib/sbx`

func TestInstallIsIdempotent(t *testing.T) {
	before := must(t, "root", hostStateScript)
	out := must(t, "root", strings.Join(installArgs, " "))
	after := must(t, "root", hostStateScript)
	if before != after {
		t.Errorf("a second install changed the host:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, want := range []string{"already in group sbx", "50-sbx.rules: up to date", "group sbx: exists"} {
		if !strings.Contains(out, want) {
			t.Errorf("second install's output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(must(t, "root", "getent group sbx"), alice); n != 1 {
		t.Errorf("alice is in group sbx %d times", n)
	}
}

// TestUninstallThenReinstall runs in a host of its own: uninstalling
// removes the directory that running machines have bound, which would
// pull the binary from under the machines of the tests sharing the host.
func TestUninstallThenReinstall(t *testing.T) {
	h, err := bootHost(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("closing the uninstall test's host: %v", err)
		}
	})
	must := func(user, script string) string { t.Helper(); return mustOn(t, h, user, script) }
	as := func(user, script string) (string, string, int) { t.Helper(); return asOn(t, h, user, script) }

	// Machines and their settings are the user's data: uninstall keeps them.
	must("root", `mkdir -p /var/lib/machines/keepme/etc /etc/systemd/nspawn
echo data > /var/lib/machines/keepme/etc/data
echo '[Exec]' > /etc/systemd/nspawn/keepme.nspawn`)
	// The drop-in sbx writes on its first rm, restore, export or snapshot
	// holds for every nspawn machine: it goes with sbx.
	must("root", `mkdir -p /etc/systemd/system/systemd-nspawn@.service.d /run/sbx/busy
printf '[Unit]\nConditionPathExists=!/run/sbx/busy/%%i\n' > /etc/systemd/system/systemd-nspawn@.service.d/sbx-busy.conf
systemctl daemon-reload`)

	out := must("root", srcDir+"/install.sh --uninstall")
	if !strings.Contains(out, "/var/lib/machines") || !strings.Contains(out, "left alone") {
		t.Errorf("uninstall does not say machines were left alone:\n%s", out)
	}
	for _, f := range append(installedFiles, "/usr/local/lib/sbx", completionFiles["bash"], completionFiles["zsh"], completionFiles["fish"]) {
		if _, _, code := as("root", "test -e "+f+" || test -L "+f); code == 0 {
			t.Errorf("%s still exists after uninstall", f)
		}
	}
	if out := must("root", "systemctl cat systemd-nspawn@keepme.service; ls -d /run/sbx 2>&1 || true"); strings.Contains(out, "sbx-busy") || !strings.Contains(out, "No such file") {
		t.Errorf("uninstall left sbx's nspawn drop-in or /run/sbx:\n%s", out)
	}
	if _, _, code := as("root", "getent group sbx"); code == 0 {
		t.Error("group sbx still exists after uninstall")
	}
	if got := must("root", "cat /var/lib/machines/keepme/etc/data /etc/systemd/nspawn/keepme.nspawn"); got != "data\n[Exec]\n" {
		t.Errorf("uninstall touched machines: %q", got)
	}
	if _, _, code := as(alice, "command -v sbx"); code == 0 {
		t.Error("sbx is still on alice's PATH after uninstall")
	}
	unit := fmt.Sprintf("sbx-e2e-after-uninstall-%d.service", time.Now().UnixNano())
	if _, stderr, code := as(alice, startUnitScript(unit)); code == 0 || !deniedRe.MatchString(stderr) {
		t.Errorf("alice could still start units after uninstall: exit %d, stderr %q", code, stderr)
	}

	// A second uninstall has nothing to do and still succeeds.
	must("root", srcDir+"/install.sh --uninstall")

	must("root", strings.Join(installArgs, " "))
	if groups := must(alice, "id -nG"); !hasWord(groups, "sbx") {
		t.Errorf("after reinstall alice's groups = %q", groups)
	}
	must(alice, "sbx --version")
	// polkit reloads its rules on a file change: poll until it has.
	waitUntilOn(t, h, alice, startUnitScript(unit), 30*time.Second)
	must(alice, stopUnitScript(unit))
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}
