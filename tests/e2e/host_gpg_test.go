//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestGPGAgent: with GPGAgent=yes gpg inside signs with the host's agent
// and key (a clear-signed text and a signed commit verify on the host),
// two commands at once each keep their own way to it, a host agent killed
// and started again (or only killed) still serves, no relay socket stays
// after a command and no agent of the machine's own stands in. With
// GPGAgent=no no host key is visible inside and the machine's own gpg
// works as it always did.
func TestGPGAgent(t *testing.T) {
	name := hostInt(t)
	runtime := "/var/lib/sbx/machines/" + name
	must(t, "root", "command -v gpg-agent >/dev/null || "+
		"{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnupg; } >/dev/null")
	t.Cleanup(func() {
		asAlice(t, "gpgconf --kill gpg-agent; rm -rf ~/.gnupg ~/signed.asc "+sh(hostIntDir+"/signed"))
		asAlice(t, "cd "+sh(hostIntDir)+" && sed -i '/^GPGAgent=/d' .sandbox && sbx allow >/dev/null")
	})
	must(t, alice, "rm -rf ~/.gnupg && gpg --batch --passphrase '' --quick-gen-key 'Alice Example <alice@example.org>' default default never 2>/dev/null && gpgconf --launch gpg-agent")
	fpr := strings.TrimSpace(must(t, alice, `gpg --with-colons --list-secret-keys | awk -F: '/^fpr/ {print $10; exit}'`))
	if len(fpr) != 40 {
		t.Fatalf("host key fingerprint %q", fpr)
	}
	must(t, alice, "cd "+sh(hostIntDir)+" && echo GPGAgent=yes >> .sandbox && sbx allow >/dev/null")

	// A clear-signed text, verified on the host.
	out, errOut, code := inHostInt(t, "echo hi | sbx run gpg --clearsign > ~/signed.asc && gpg --verify ~/signed.asc 2>&1")
	if code != 0 || !strings.Contains(out, `Good signature from "Alice Example <alice@example.org>"`) {
		t.Fatalf("gpg --clearsign inside, --verify on the host: exit %d\n%s%s", code, out, errOut)
	}
	// A signed commit made inside (the repository is in the project),
	// verified on the host.
	commit := fmt.Sprintf(`mkdir signed && cd signed && git init -q && git config user.email alice@example.org && git config user.signingkey %s && sbx run git commit -q -S --allow-empty -m signed && git verify-commit HEAD 2>&1`, fpr)
	if out, errOut, code := inHostInt(t, commit); code != 0 || !strings.Contains(out, "Good signature") {
		t.Errorf("git commit -S inside, verify-commit on the host: exit %d\n%s%s", code, out, errOut)
	}

	// Two commands at once: the first still signs after the second ended.
	sign := `gpg --clearsign </dev/null 2>/dev/null | grep -c "BEGIN PGP SIGNATURE"`
	both := fmt.Sprintf(`{ sbx run sh -c 'for i in $(seq 300); do [ -e %[1]s/second-done ] && break; sleep 0.1; done; %[2]s' > %[1]s/first.out & `+
		`sbx run sh -c '%[2]s' && touch %[1]s/second-done; wait $!; cat %[1]s/first.out; rm -f %[1]s/first.out %[1]s/second-done; }`, sh(hostIntDir), sign)
	if out, errOut, code := inHostInt(t, both); code != 0 || out != "1\n1\n" {
		t.Errorf("two commands signing at once: exit %d %q %s", code, out, errOut)
	}

	// The host's agent killed and started again, then only killed: the
	// relay finds (or starts) it anew.
	for _, restart := range []string{"gpgconf --kill gpg-agent && gpgconf --launch gpg-agent", "gpgconf --kill gpg-agent"} {
		if out, errOut, code := inHostInt(t, restart+" && sbx run sh -c '"+sign+"'"); code != 0 || out != "1\n" {
			t.Errorf("after %s: exit %d %q %s", restart, code, out, errOut)
		}
	}
	if out := must(t, "root", "ls "+runtime); strings.Contains(out, "gpg-agent.") {
		t.Errorf("relay sockets left behind: %s", out)
	}
	// gpg inside used the host's agent, never one of the machine's own.
	if out, _, _ := inHostInt(t, `sbx run sh -c 'grep -lx gpg-agent /proc/[0-9]*/comm 2>/dev/null || echo none'`); out != "none\n" {
		t.Errorf("a gpg-agent runs in the machine: %q", out)
	}

	// GPGAgent=no: no host key inside, the copies gone, the machine's own
	// gpg (and its socket-activated agent) as before.
	must(t, alice, "cd "+sh(hostIntDir)+" && sed -i '/^GPGAgent=/d' .sandbox && sbx allow >/dev/null")
	out, errOut, code = inHostInt(t, `sbx run sh -c 'echo "${GNUPGHOME-unset} ${SBX_GPG_AGENT-unset}"; gpg --list-keys 2>/dev/null; ls /run/sbx'`)
	if code != 0 || !strings.HasPrefix(out, "unset unset\n") || strings.Contains(out, fpr) || strings.Contains(out, "alice@example.org") || strings.Contains(out, "gnupg") {
		t.Errorf("GPGAgent=no: exit %d\n%s%s", code, out, errOut)
	}
	own := `gpg --batch --passphrase "" --quick-gen-key guest@example.org default default never 2>/dev/null && gpg -K --with-colons | grep -c "^sec"; gpgconf --kill gpg-agent; rm -rf ~/.gnupg`
	if out, errOut, code := inHostInt(t, "sbx run sh -c '"+own+"'"); code != 0 || out != "1\n" {
		t.Errorf("the machine's own gpg with GPGAgent=no: exit %d %q %s", code, out, errOut)
	}
}
