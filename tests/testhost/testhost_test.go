package testhost

import (
	"slices"
	"strings"
	"testing"
)

func TestCacheKeyDependsOnWhatShapesTheRootfs(t *testing.T) {
	base := cacheKey(DefaultSuite, DefaultMirror, []string{"a", "b"})
	if got := cacheKey(DefaultSuite, DefaultMirror, []string{"b", "a", "a"}); got != base {
		t.Errorf("order and duplicates changed the key: %s != %s", got, base)
	}
	if got := cacheKey(DefaultSuite, DefaultMirror, []string{"a", "b", "c"}); got == base {
		t.Error("an extra package kept the key")
	}
	if got := cacheKey(DefaultSuite, "http://example.invalid/debian", []string{"a", "b"}); got == base {
		t.Error("another mirror kept the key")
	}
	if got := cacheKey("trixie", DefaultMirror, []string{"a", "b"}); got == base || !strings.HasPrefix(got, "trixie-") {
		t.Errorf("another suite kept the key or its name: %s", got)
	}
}

func TestEscapeBindPath(t *testing.T) {
	for in, want := range map[string]string{
		"/plain":        "/plain",
		"/a:b":          `/a\:b`,
		`/back\slash`:   `/back\\slash`,
		"/sp ace,comma": "/sp ace,comma",
	} {
		if got := escapeBindPath(in); got != want {
			t.Errorf("escapeBindPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// A hybrid cgroup layout like the one of the machines the tests run on.
const hybridMountinfo = `35 24 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
36 35 0:31 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
37 35 0:32 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
38 35 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,cpu,cpuacct
39 35 0:34 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory
40 35 0:35 /sub /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,pids
41 24 0:36 / /var/lib/my\040dir rw - ext4 /dev/vda rw`

const hybridSelf = `5:pids:/sub/x
4:memory:/process_api/abc
3:cpu,cpuacct:/
2:name=systemd:/user.slice
0::/user.slice
`

func TestOwnCgroupDirsHybrid(t *testing.T) {
	var mounts []cgroupMount
	for _, line := range strings.Split(hybridMountinfo, "\n") {
		if m, ok := parseCgroupMount(line); ok {
			mounts = append(mounts, m)
		}
	}
	if len(mounts) != 5 {
		t.Fatalf("parsed %d cgroup mounts, want 5: %+v", len(mounts), mounts)
	}
	got := matchCgroupDirs(hybridSelf, mounts)
	want := []string{
		"/sys/fs/cgroup/pids/x",
		"/sys/fs/cgroup/memory/process_api/abc",
		"/sys/fs/cgroup/cpu,cpuacct",
		"/sys/fs/cgroup/systemd/user.slice",
		"/sys/fs/cgroup/unified/user.slice",
	}
	if !slices.Equal(got, want) {
		t.Errorf("cgroup dirs\n got %q\nwant %q", got, want)
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/var/lib/my\040dir`); got != "/var/lib/my dir" {
		t.Errorf("unescapeMount = %q", got)
	}
}

func TestTail(t *testing.T) {
	if got := tail("a\nb\nc\n", 2); got != "b\nc" {
		t.Errorf("tail = %q", got)
	}
}
