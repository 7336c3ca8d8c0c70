package builder

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
)

// FuzzEntryChecker: whatever the archive's entries, what the checker lets
// through is a clean relative path under ./, with no entry below a
// symbolic link it let through before, and hard links to such paths only.
func FuzzEntryChecker(f *testing.F) {
	f.Add("rootfs/", byte(tar.TypeDir), "", "rootfs/etc", byte(tar.TypeSymlink), "/x", "rootfs/etc/passwd", byte(tar.TypeReg), "")
	f.Add("rootfs/a", byte(tar.TypeLink), "rootfs/b", "rootfs/../x", byte(tar.TypeReg), "", "rootfs/dev/sda", byte(tar.TypeBlock), "")
	f.Add("rootfs/l", byte(tar.TypeSymlink), "..", "rootfs/h", byte(tar.TypeLink), "rootfs/l", "rootfs/h/x", byte(tar.TypeReg), "")
	f.Fuzz(func(t *testing.T, n1 string, t1 byte, l1, n2 string, t2 byte, l2, n3 string, t3 byte, l3 string) {
		c := newEntryChecker()
		links := map[string]bool{}
		for _, h := range []*tar.Header{{Name: n1, Typeflag: t1, Linkname: l1}, {Name: n2, Typeflag: t2, Linkname: l2}, {Name: n3, Typeflag: t3, Linkname: l3}} {
			name, link, err := c.check(h)
			if err != nil {
				continue
			}
			for _, p := range []string{name, link} {
				if p == "" {
					continue
				}
				rel, ok := strings.CutPrefix(p, "./")
				if !ok || strings.HasPrefix(rel, "/") {
					t.Fatalf("%q (from %q) is not under ./", p, h.Name)
				}
				for _, part := range strings.Split(strings.TrimSuffix(rel, "/"), "/") {
					if part == ".." || part == "." || (part == "" && rel != "") {
						t.Fatalf("%q (from %q) is not clean", p, h.Name)
					}
				}
				for l := range links {
					if strings.HasPrefix(rel, l+"/") {
						t.Fatalf("%q lies below the symbolic link %q", p, l)
					}
				}
			}
			if (h.Typeflag == tar.TypeChar || h.Typeflag == tar.TypeBlock) && !strings.HasPrefix(name, "./dev/") {
				t.Fatalf("device %q outside /dev", name)
			}
			rel := strings.TrimPrefix(name, "./")
			delete(links, rel)
			if h.Typeflag == tar.TypeSymlink || (h.Typeflag == tar.TypeLink && links[strings.TrimPrefix(link, "./")]) {
				links[rel] = true
			}
		}
	})
}

// FuzzParseExported: any settings file is refused or gives values that are
// safe to use: a clean absolute project, a release and hostname that fit
// their patterns.
func FuzzParseExported(f *testing.F) {
	f.Add([]byte("# sbx-project=/home/a/p\n# sbx-owner=1000\n# sbx-distribution=debian\n# sbx-release=bookworm\n# sbx-state=ready\n[Exec]\nHostname=p\n[Files]\nBind=/home/a/p\n"))
	f.Add([]byte("# sbx-project=/etc/../x\n# sbx-release=../../x\nHostname=\x1b[2J\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := parseExported(data)
		if err != nil {
			return
		}
		if !cleanAbs(e.Meta.Project) || !releaseRE().MatchString(e.Meta.Release) || (e.Hostname != "" && !hostnameRE().MatchString(e.Hostname)) {
			t.Fatalf("accepted %+v", e)
		}
		if e.ExtraBinds < 0 {
			t.Fatalf("negative bind count")
		}
	})
}

// FuzzFilterAgentConf: the archive's agent.conf never sets the owner, and
// the new owner line comes first and once.
func FuzzFilterAgentConf(f *testing.F) {
	f.Add([]byte("owner_uid=0\nstop_when_idle=60\n owner_uid=0\n"))
	f.Add([]byte("\towner_uid =0\r\n\x00owner_uid=0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := filterAgentConf(data, 1000)
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if lines[0] != "owner_uid=1000" {
			t.Fatalf("first line %q", lines[0])
		}
		for _, l := range lines[1:] {
			k, _, _ := strings.Cut(l, "=")
			if strings.Contains(strings.TrimSpace(k), "owner_uid") && strings.TrimSpace(k) == "owner_uid" {
				t.Fatalf("kept %q", l)
			}
		}
	})
}

// FuzzImportStream: any byte stream given as an archive is refused or
// yields a settings entry within its bound and rootfs entries that all
// pass the checker again (what tar -x then sees).
func FuzzImportStream(f *testing.F) {
	f.Add(tarOfBytes(f, file("m.nspawn"), dir("rootfs/"), file("rootfs/etc/passwd")))
	f.Add(tarOfBytes(f, file("m.nspawn"), symlink("rootfs/etc", "/etc"), file("rootfs/etc/x")))
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr := tar.NewReader(bytes.NewReader(data))
		_, settings, err := readSettingsEntry(tr)
		if err != nil {
			return
		}
		if len(settings) > maxSettingsSize {
			t.Fatalf("settings of %d bytes accepted", len(settings))
		}
		var out bytes.Buffer
		if copyChecked(tr, &out) != nil {
			return
		}
		again := tar.NewReader(&out)
		c := newEntryChecker()
		for {
			h, err := again.Next()
			if err != nil {
				break
			}
			h.Name = "rootfs/" + strings.TrimPrefix(h.Name, "./")
			if h.Typeflag == tar.TypeLink {
				h.Linkname = "rootfs/" + strings.TrimPrefix(h.Linkname, "./")
			}
			if _, _, err := c.check(h); err != nil {
				t.Fatalf("passed on an entry the checker refuses: %v", err)
			}
		}
	})
}

func tarOfBytes(f *testing.F, hdrs ...*tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = 1
		}
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte("x"))
		}
	}
	tw.Close()
	return b.Bytes()
}
