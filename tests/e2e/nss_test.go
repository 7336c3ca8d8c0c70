//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// erin exists only in libnss-extrausers, as a user of LDAP, SSSD or
// systemd-homed exists only through NSS: not in /etc/passwd or /etc/group.
const (
	erin    = "erin"
	erinUID = 1500
)

// addNSSOnlyUser makes erin, known only through libnss-extrausers, and
// puts her in group sbx (a files group may list a member from elsewhere).
func addNSSOnlyUser(t *testing.T) {
	t.Helper()
	must(t, "root", fmt.Sprintf(`set -e
cp -a /etc/nsswitch.conf /etc/nsswitch.conf.sbx-e2e
sed -i -E 's/^(passwd|group|shadow):[[:space:]]+files( |$).*/\1: files extrausers systemd/' /etc/nsswitch.conf
grep -q '^passwd: files extrausers' /etc/nsswitch.conf
mkdir -p /var/lib/extrausers
echo '%[1]s:x:%[2]d:%[2]d:NSS only:/home/%[1]s:/bin/bash' > /var/lib/extrausers/passwd
echo '%[1]s:x:%[2]d:' > /var/lib/extrausers/group
echo '%[1]s:*:19000:0:99999:7:::' > /var/lib/extrausers/shadow
grep -q '^sbx:.*[:,]%[1]s\(,\|$\)' /etc/group || sed -i -E '/^sbx:/{s/:$/:%[1]s/;t;s/$/,%[1]s/}' /etc/group
mkdir -p /home/%[1]s && chown %[2]d:%[2]d /home/%[1]s
`, erin, erinUID))
	t.Cleanup(func() {
		asRoot(t, fmt.Sprintf(`sed -i -E '/^sbx:/{s/,%[1]s($|,)/\1/;s/:%[1]s,/:/;s/:%[1]s$/:/}' /etc/group
mv -f /etc/nsswitch.conf.sbx-e2e /etc/nsswitch.conf
rm -f /var/lib/extrausers/passwd /var/lib/extrausers/group /var/lib/extrausers/shadow; rm -rf /home/%[1]s`, erin))
	})
}

// TestNSSOnlyUser: a user whom only NSS knows creates a machine and runs a
// command in it as herself. The cgo-free binary used to read /etc/passwd
// and /etc/group only, and failed with "unknown userid".
func TestNSSOnlyUser(t *testing.T) {
	addNSSOnlyUser(t)
	if got := must(t, "root", "getent passwd erin; grep -c '^erin:' /etc/passwd || true"); got != "erin:x:1500:1500:NSS only:/home/erin:/bin/bash\n0\n" {
		t.Fatalf("erin should be known through NSS only, got %q", got)
	}
	if groups := must(t, erin, "id -nG"); !hasWord(groups, "sbx") {
		t.Fatalf("erin's groups = %q, want sbx among them", groups)
	}
	doc, _, _ := as(t, erin, "sbx doctor")
	for _, want := range []string{"✓ member of group sbx: erin", "✓ group sbx active in this session"} {
		if !strings.Contains(doc, want) {
			t.Errorf("sbx doctor as erin lacks %q:\n%s", want, doc)
		}
	}
	must(t, erin, `mkdir -p ~/proj && cd ~/proj && printf '[Machine]\n' > .sandbox && sbx allow >/dev/null`)
	t.Cleanup(func() { as(t, erin, "cd ~/proj && sbx rm --force") })
	out, errOut, code := as(t, erin, `cd ~/proj && sbx run sh -c 'echo "$(id -un) $(id -u) $(id -gn) $PWD"'`)
	if want := "erin 1500 erin /home/erin/proj\n"; code != 0 || out != want {
		t.Errorf("sbx run as erin: exit %d, stdout %q, want %q\nstderr:\n%s", code, out, want, errOut)
	}
}
