package cli

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestReport(t *testing.T) {
	var b strings.Builder
	failed := report(&b, []checkResult{
		{Name: "systemd is PID 1"},
		{Verdict: fail, Name: "member of group sbx", Detail: "bob is not in group sbx", Fix: "sudo usermod -aG sbx bob"},
		{Verdict: advice, Name: "debootstrap", Detail: "/usr/sbin/debootstrap", Fix: "install mmdebstrap"},
		{Name: "cgroups", Fix: "never shown for a pass"},
	})
	want := `✓ systemd is PID 1
✗ member of group sbx: bob is not in group sbx
    fix: sudo usermod -aG sbx bob
! debootstrap: /usr/sbin/debootstrap
    fix: install mmdebstrap
✓ cgroups

1 problem: fix it as shown above, then run sbx doctor again.
`
	if failed != 1 || b.String() != want {
		t.Errorf("report = %d,\n%s\nwant 1,\n%s", failed, b.String(), want)
	}
	b.Reset()
	if n := report(&b, []checkResult{{Name: "a"}, {Verdict: advice, Name: "b"}}); n != 0 || !strings.Contains(b.String(), "ready for sbx") {
		t.Errorf("all passing: %d\n%s", n, b.String())
	}
}

func TestGroupVerdict(t *testing.T) {
	verdicts := func(r []checkResult) [2]verdict { return [2]verdict{r[0].Verdict, r[1].Verdict} }
	if got := verdicts(groupVerdict("alice", true, true)); got != [2]verdict{pass, pass} {
		t.Errorf("member, logged in again: %v", got)
	}
	stale := groupVerdict("alice", true, false)
	if verdicts(stale) != [2]verdict{pass, fail} || !strings.Contains(stale[1].Fix, "log out") {
		t.Errorf("member, same session: %+v", stale)
	}
	out := groupVerdict("bob", false, false)
	if out[0].Verdict != fail || !strings.Contains(out[0].Fix, "usermod -aG sbx bob") {
		t.Errorf("not a member: %+v", out)
	}
}

func TestDiskVerdict(t *testing.T) {
	for free, want := range map[uint64]verdict{100 << 20: fail, 2 << 30: advice, 50 << 30: pass} {
		if r := diskVerdict(free); r.Verdict != want || !strings.Contains(r.Detail, "free") {
			t.Errorf("diskVerdict(%d) = %+v, want verdict %d", free, r, want)
		}
	}
}

func TestCgroupVerdict(t *testing.T) {
	cases := []struct {
		fs                 int64
		unified, systemdV1 bool
		want               verdict
	}{
		{unix.CGROUP2_SUPER_MAGIC, false, false, pass},
		{unix.TMPFS_MAGIC, true, true, pass},
		{unix.TMPFS_MAGIC, false, true, advice},
		{unix.TMPFS_MAGIC, false, false, fail},
		{unix.EXT4_SUPER_MAGIC, false, false, fail},
	}
	for _, c := range cases {
		if r := cgroupVerdict(c.fs, c.unified, c.systemdV1); r.Verdict != c.want {
			t.Errorf("cgroupVerdict(%x, %v, %v) = %+v, want %d", c.fs, c.unified, c.systemdV1, r, c.want)
		}
	}
}
