//go:build linux

package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tarOf builds an archive from headers (regular files get body "x").
func tarOf(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = 1
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte("x"))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func dir(name string) *tar.Header  { return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755} }
func file(name string) *tar.Header { return &tar.Header{Typeflag: tar.TypeReg, Name: name} }
func symlink(name, target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target}
}
func hardlink(name, target string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target}
}
func device(name string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeChar, Name: name, Devmajor: 1, Devminor: 3}
}

func TestCopyCheckedRefusesDangerousEntries(t *testing.T) {
	for _, tc := range []struct {
		what string
		hdrs []*tar.Header
		want string
	}{
		{"absolute path", []*tar.Header{dir("rootfs/"), file("/etc/passwd")}, "outside rootfs/"},
		{"dot-dot", []*tar.Header{dir("rootfs/"), file("rootfs/../../etc/passwd")}, "not a clean relative path"},
		{"dot-dot inside", []*tar.Header{dir("rootfs/"), file("rootfs/etc/../x")}, "not a clean relative path"},
		{"outside rootfs", []*tar.Header{dir("rootfs/"), file("other/x")}, "outside rootfs/"},
		{"rootfs prefix only", []*tar.Header{dir("rootfs/"), file("rootfsx/y")}, "outside rootfs/"},
		{"root not a directory", []*tar.Header{symlink("rootfs", "/")}, "must be a directory"},
		{"device outside /dev", []*tar.Header{dir("rootfs/"), device("rootfs/etc/sda")}, "device node"},
		{"file through a symlink", []*tar.Header{dir("rootfs/"), symlink("rootfs/etc", "/etc"), file("rootfs/etc/passwd")}, "below the symbolic link"},
		{"file through a relative symlink", []*tar.Header{dir("rootfs/"), symlink("rootfs/up", "../../.."), file("rootfs/up/x")}, "below the symbolic link"},
		{"hard link out", []*tar.Header{dir("rootfs/"), hardlink("rootfs/shadow", "/etc/shadow")}, "outside rootfs/"},
		{"hard link through a symlink", []*tar.Header{dir("rootfs/"), symlink("rootfs/h", "/etc"), hardlink("rootfs/s", "rootfs/h/shadow")}, "below the symbolic link"},
		{"hard link to a symlink, then below", []*tar.Header{dir("rootfs/"), symlink("rootfs/h", "/etc"), hardlink("rootfs/g", "rootfs/h"), file("rootfs/g/passwd")}, "below the symbolic link"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			err := copyChecked(tar.NewReader(bytes.NewReader(tarOf(t, tc.hdrs...))), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestCopyCheckedPassesAMachineTree(t *testing.T) {
	in := tarOf(t, dir("rootfs/"), dir("rootfs/etc/"), symlink("rootfs/etc/localtime", "/usr/share/zoneinfo/UTC"),
		dir("rootfs/dev/"), device("rootfs/dev/null"), file("rootfs/bin"), hardlink("rootfs/sbin", "rootfs/bin"),
		symlink("rootfs/lib", "usr/lib"), dir("rootfs/lib/"), file("rootfs/lib/x")) // a directory replacing a link is fine
	var out bytes.Buffer
	if err := copyChecked(tar.NewReader(bytes.NewReader(in)), &out); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(&out)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name+"|"+h.Linkname)
	}
	want := []string{"./|", "./etc|", "./etc/localtime|/usr/share/zoneinfo/UTC", "./dev|", "./dev/null|",
		"./bin|", "./sbin|./bin", "./lib|usr/lib", "./lib|", "./lib/x|"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("entries for tar -x:\n got %q\nwant %q", names, want)
	}
}

func TestReadSettingsEntry(t *testing.T) {
	good := tarOf(t, &tar.Header{Typeflag: tar.TypeReg, Name: "web.nspawn"}, dir("rootfs/"))
	name, data, err := readSettingsEntry(tar.NewReader(bytes.NewReader(good)))
	if err != nil || name != "web" || string(data) != "x" {
		t.Errorf("got %q %q %v", name, data, err)
	}
	for _, bad := range [][]byte{
		tarOf(t, dir("rootfs/")),
		tarOf(t, &tar.Header{Typeflag: tar.TypeReg, Name: "../web.nspawn"}),
		tarOf(t, &tar.Header{Typeflag: tar.TypeSymlink, Name: "web.nspawn", Linkname: "/etc/shadow"}),
		[]byte("not a tar at all, but long enough to look at for a header block"),
	} {
		if _, _, err := readSettingsEntry(tar.NewReader(bytes.NewReader(bad))); err == nil {
			t.Errorf("accepted %q", bad[:20])
		}
	}
}

const settingsText = `# Managed by sbx. ` + "`sbx create`" + ` rewrites this file; put changes in the project's .sandbox.
# sbx-project=/home/bob/proj
# sbx-owner=1001
# sbx-distribution=debian
# sbx-release=bookworm
# sbx-state=ready
# sbx-created=2024-01-02T03:04:05Z

[Exec]
Boot=yes
PrivateUsers=no
Hostname=web

[Files]
Bind=/home/bob/proj
BindReadOnly=/usr/local/lib/sbx
Bind=/var/lib/sbx/machines/web:/run/sbx
Bind=/home/bob/.cache

[Network]
Private=no
VirtualEthernet=no
`

func TestParseExported(t *testing.T) {
	e, err := parseExported([]byte(settingsText))
	if err != nil {
		t.Fatal(err)
	}
	if e.Meta.Project != "/home/bob/proj" || e.Meta.Release != "bookworm" || e.Hostname != "web" || e.ExtraBinds != 1 || e.Meta.Private {
		t.Errorf("parsed %+v", e)
	}
	for _, bad := range []string{
		strings.Replace(settingsText, "# Managed by sbx", "# Managed by me", 1),
		strings.Replace(settingsText, "sbx-release=bookworm", "sbx-release=../x", 1),
		strings.Replace(settingsText, "sbx-project=/home/bob/proj", "sbx-project=relative", 1),
		strings.Replace(settingsText, "Hostname=web", "Hostname=we b", 1),
	} {
		if _, err := parseExported([]byte(bad)); err == nil {
			t.Errorf("accepted:\n%s", bad)
		}
	}
}

// TestExportStreamImportsBack runs the real pipelines: tar -c through the
// export filter (and zstd), then zstd -d through the checks into tar -x.
func TestExportStreamImportsBack(t *testing.T) {
	needRoot(t)
	base := t.TempDir()
	src, dst := filepath.Join(base, "src"), filepath.Join(base, "dst")
	for _, d := range []string{src, dst} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	makeTree(t, src)
	archive, err := os.Create(filepath.Join(base, "web.tar.zst"))
	if err != nil {
		t.Fatal(err)
	}
	var events bytes.Buffer
	r := NewReporter(&events)
	m := newMeter(r, "exported", 0)
	err = pipeline{producer: tarCreate(src), filter: exportFilter("web", []byte(settingsText), m), consumer: zstdTool.Pack, stdout: archive}.run(context.Background())
	archive.Close()
	if err != nil {
		t.Fatal(err)
	}
	// GNU tar reads it too, with the layout documented in export_archive.go.
	list, err := exec.Command("tar", "-tf", archive.Name(), "--zstd").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(list), "web.nspawn\nrootfs/\n") || !strings.Contains(string(list), "rootfs/etc/shadow\n") {
		t.Errorf("tar -t lists:\n%s", list)
	}

	in, err := os.Open(archive.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var name string
	var settings []byte
	err = pipeline{stdin: in, producer: zstdTool.Unpack, filter: func(_ io.Writer, s io.Reader) error {
		tr := tar.NewReader(s)
		var err error
		if name, settings, err = readSettingsEntry(tr); err != nil {
			return err
		}
		return pipeline{filter: func(d io.Writer, _ io.Reader) error { return copyChecked(tr, d) }, consumer: tarExtract(dst)}.run(context.Background())
	}}.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if name != "web" || string(settings) != settingsText {
		t.Errorf("settings entry: %q\n%s", name, settings)
	}
	if got, want := digest(t, dst), digest(t, src); got != want {
		t.Errorf("the imported tree differs:\n--- got\n%s\n--- want\n%s", got, want)
	}
}

func TestCheckAccess(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	w, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	wo, _ := os.OpenFile(p, os.O_WRONLY, 0)
	defer wo.Close()
	ro, _ := os.Open(p)
	defer ro.Close()
	if checkAccess(wo, true) != nil || checkAccess(ro, false) != nil || checkAccess(w, true) != nil || checkAccess(w, false) != nil {
		t.Error("checkAccess refused a file open the right way")
	}
	if checkAccess(ro, true) == nil || checkAccess(wo, false) == nil {
		t.Error("checkAccess let a file open the wrong way through")
	}
}

func TestOwnedAgentConfKeepsOtherSettings(t *testing.T) {
	root := t.TempDir()
	tr, err := openTree(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if got, err := ownedAgentConf(tr, 1000); got != "owner_uid=1000\n" || err != nil {
		t.Errorf("without a file: %q %v", got, err)
	}
	if err := writeFile(root, "etc/sbx/agent.conf", "owner_uid=1001\nstop_when_idle=1800\n owner_uid=0\nowner_uid =0\n\towner_uid=0\n", 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := ownedAgentConf(tr, 1000); got != "owner_uid=1000\nstop_when_idle=1800\n" {
		t.Errorf("rewritten: %q", got)
	}
}

// A symbolic link in the tree to a host file is resolved inside the tree:
// root never reads (or writes) the host's file through it.
func TestOwnedAgentConfStaysInTheTree(t *testing.T) {
	root, host := t.TempDir(), t.TempDir()
	secret := filepath.Join(host, "secret")
	os.WriteFile(secret, []byte("owner_uid=0\nhost secret\n"), 0o644)
	os.MkdirAll(filepath.Join(root, "etc/sbx"), 0o755)
	os.Symlink(secret, filepath.Join(root, "etc/sbx/agent.conf"))
	tr, err := openTree(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if got, _ := ownedAgentConf(tr, 1000); strings.Contains(got, "host secret") {
		t.Errorf("read the host file through the link: %q", got)
	}
}
