//go:build linux

package builder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// needRoot fails (never skips) tests that create devices and foreign owners.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test creates device nodes and files of other owners: run it as root (sudo tests/run.sh)")
	}
}

// makeTree builds a small root filesystem with everything a machine's
// tree holds that a naive copy would lose.
func makeTree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"etc", "dev", "usr/bin", "home/alice", "var/empty"} {
		must(os.MkdirAll(filepath.Join(dir, d), 0o755))
	}
	must(os.WriteFile(filepath.Join(dir, "etc/shadow"), []byte("root:*:1::::::\n"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "usr/bin/tool"), bytes.Repeat([]byte("binary "), 5000), 0o755))
	must(unix.Chmod(filepath.Join(dir, "usr/bin/tool"), 0o4755))
	must(os.Link(filepath.Join(dir, "usr/bin/tool"), filepath.Join(dir, "usr/bin/tool-alias")))
	must(os.Symlink("/usr/share/zoneinfo/UTC", filepath.Join(dir, "etc/localtime")))
	must(os.Symlink("../usr/bin", filepath.Join(dir, "home/bin")))
	must(os.WriteFile(filepath.Join(dir, "home/alice/notes"), []byte("mine\n"), 0o600))
	must(os.Chown(filepath.Join(dir, "home/alice"), 1000, 1000))
	must(os.Chown(filepath.Join(dir, "home/alice/notes"), 1000, 1000))
	must(unix.Mkfifo(filepath.Join(dir, "var/fifo"), 0o644))
	must(unix.Mknod(filepath.Join(dir, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(unix.Setxattr(filepath.Join(dir, "usr/bin/tool"), "user.sbx-test", []byte("kept"), 0))
	must(os.Chmod(filepath.Join(dir, "var/empty"), 0o1777))
}

// digest describes every entry of a tree: type, mode, owner, size,
// content or link target, xattrs, and which entries share an inode.
func digest(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	inodes := map[uint64]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		what := ""
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFREG:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			what = fmt.Sprintf("sha=%x", sha256.Sum256(data))
			if first, ok := inodes[st.Ino]; ok {
				what += " link-of=" + first
			} else {
				inodes[st.Ino] = rel
			}
		case syscall.S_IFLNK:
			target, _ := os.Readlink(p)
			what = "-> " + target
		case syscall.S_IFCHR, syscall.S_IFBLK:
			what = fmt.Sprintf("dev=%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		x := make([]byte, 64)
		if n, err := unix.Lgetxattr(p, "user.sbx-test", x); err == nil {
			what += " xattr=" + string(x[:n])
		}
		if rel == "." {
			st.Mode &^= 0o7777 // the root's mode is its parent's business
		}
		lines = append(lines, fmt.Sprintf("%s mode=%o owner=%d:%d %s", rel, st.Mode, st.Uid, st.Gid, what))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestArchiveRoundTrip(t *testing.T) {
	needRoot(t)
	for _, comp := range []compressor{zstdTool, gzipTool} {
		t.Run(comp.Name, func(t *testing.T) {
			base := t.TempDir()
			src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
			if err := os.Mkdir(src, 0o755); err != nil {
				t.Fatal(err)
			}
			makeTree(t, src)
			var events bytes.Buffer
			r := NewReporter(&events)
			partial, final := filepath.Join(base, ".snap.partial"), filepath.Join(base, "snap"+comp.Suffix)
			size, err := writeArchive(context.Background(), src, partial, final, comp, r)
			if err != nil {
				t.Fatalf("writeArchive: %v\n%s", err, events.String())
			}
			fi, err := os.Stat(final)
			if err != nil || fi.Size() != size || size == 0 {
				t.Fatalf("archive %s: %v, size %d, reported %d", final, err, fi.Size(), size)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("archive mode %o, want 0600 (it holds /etc/shadow)", fi.Mode().Perm())
			}
			if _, err := os.Stat(partial); !os.IsNotExist(err) {
				t.Errorf("the partial file is still there: %v", err)
			}
			if !strings.Contains(events.String(), `"log":"archived`) {
				t.Errorf("no progress events:\n%s", events.String())
			}
			info := SnapshotInfo{Name: "snap", Kind: comp.Suffix, Path: final, Size: size}
			if err := unpackSnapshot(context.Background(), info, dst, r); err != nil {
				t.Fatalf("unpackSnapshot: %v\n%s", err, events.String())
			}
			if got, want := digest(t, dst), digest(t, src); got != want {
				t.Errorf("the unpacked tree differs:\n--- got\n%s\n--- want\n%s", got, want)
			}
		})
	}
}

func TestUnpackCorruptArchiveFails(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "bad.tar.zst")
	if err := os.WriteFile(path, append([]byte{0x28, 0xb5, 0x2f, 0xfd}, bytes.Repeat([]byte{7}, 4000)...), 0o600); err != nil {
		t.Fatal(err)
	}
	var events bytes.Buffer
	err := unpackSnapshot(context.Background(), SnapshotInfo{Name: "bad", Kind: KindZstd, Path: path, Size: 4004}, filepath.Join(base, "out"), NewReporter(&events))
	if err == nil || !strings.Contains(err.Error(), "zstd") {
		t.Fatalf("unpacking garbage: got %v, want zstd's complaint", err)
	}
}

func TestPipelineBlamesTheStageThatFailed(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	err := pipeline{producer: []string{"sh", "-c", "echo producer broke >&2; exit 3"}, filter: plainCopy, stdout: &out}.run(ctx)
	if err == nil || !strings.Contains(err.Error(), "producer broke") {
		t.Errorf("failing producer: got %v", err)
	}
	err = pipeline{
		producer: []string{"sh", "-c", "yes sbx | head -c 10000000"}, filter: plainCopy,
		consumer: []string{"sh", "-c", "head -c 10 >/dev/null; echo consumer broke >&2; exit 4"}, stdout: &out,
	}.run(ctx)
	if err == nil || !strings.Contains(err.Error(), "consumer broke") {
		t.Errorf("failing consumer: got %v", err)
	}
	err = pipeline{
		stdin:  strings.NewReader("hello"),
		filter: func(dst io.Writer, src io.Reader) error { return fmt.Errorf("filter refused") },
	}.run(ctx)
	if err == nil || err.Error() != "filter refused" {
		t.Errorf("failing filter: got %v", err)
	}
	out.Reset()
	err = pipeline{stdin: strings.NewReader("through\n"), producer: []string{"cat"}, filter: plainCopy, consumer: []string{"tr", "a-z", "A-Z"}, stdout: &out}.run(ctx)
	if err != nil || out.String() != "THROUGH\n" {
		t.Errorf("cat | filter | tr: %q, %v", out.String(), err)
	}
}

func TestPipelineStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := pipeline{producer: []string{"sleep", "60"}, filter: plainCopy, consumer: []string{"cat"}, stdout: io.Discard}.run(ctx)
	if err != context.Canceled {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cancel took %s", d)
	}
}

func TestSwapTrees(t *testing.T) {
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "which"), []byte(filepath.Base(d)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := swapTrees(a, b); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{a: "b", b: "a"} {
		if got, _ := os.ReadFile(filepath.Join(dir, "which")); string(got) != want {
			t.Errorf("%s holds %q, want %q", dir, got, want)
		}
	}
}

func TestSnapshotNames(t *testing.T) {
	for _, tc := range []struct {
		file, name, kind string
		ok               bool
	}{
		{"before-upgrade.tar.zst", "before-upgrade", KindZstd, true},
		{"20240102-150405.tar.gz", "20240102-150405", KindGzip, true},
		{"clean.subvol", "clean", KindBtrfs, true},
		{".clean.partial", "", "", false},
		{"Clean.tar.zst", "", "", false},
		{"notes.txt", "", "", false},
	} {
		name, kind, ok := splitSnapshotFile(tc.file)
		if name != tc.name || kind != tc.kind || ok != tc.ok {
			t.Errorf("splitSnapshotFile(%q) = %q, %q, %v; want %q, %q, %v", tc.file, name, kind, ok, tc.name, tc.kind, tc.ok)
		}
	}
	for _, arg := range []string{"m:s", "web-1:20240102-150405"} {
		if _, err := ParseSnapRef(arg); err != nil {
			t.Errorf("ParseSnapRef(%q): %v", arg, err)
		}
	}
	for _, arg := range []string{"m", "m:", ":s", "m:../x", "m:a/b", "M:s", "m:.hidden", "m:s:t"} {
		if _, err := ParseSnapRef(arg); err == nil {
			t.Errorf("ParseSnapRef(%q) accepted it", arg)
		}
	}
}

func TestMeterReports(t *testing.T) {
	var events bytes.Buffer
	m := newMeter(NewReporter(&events), "archived", 4000)
	io.Copy(m.writer(io.Discard), strings.NewReader(strings.Repeat("x", 3000)))
	m.finish()
	if !strings.Contains(events.String(), `archived 3.0 kB of 4.0 kB (75%)`) {
		t.Errorf("meter said:\n%s", events.String())
	}
	// What is read through it counts the same way.
	io.Copy(io.Discard, m.reader(strings.NewReader(strings.Repeat("x", 1000))))
	m.finish()
	if !strings.Contains(events.String(), `archived 4.0 kB of 4.0 kB (100%)`) {
		t.Errorf("meter said after reading:\n%s", events.String())
	}
}
