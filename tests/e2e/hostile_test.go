//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Hostile archives are made from a real `sbx export` (read from the test
// host's root filesystem, which the outer machine sees at host.Root()) and
// altered entry by entry, as an attacker who sends a colleague an archive
// would. They are written back into the test host for alice to import.

// entryEdit sees every entry of the source archive. It returns the
// entries to write instead (none: the entry is dropped).
type entryEdit func(h *tar.Header, data []byte) []archEntry

type archEntry struct {
	h    *tar.Header
	data []byte
}

func keep(h *tar.Header, data []byte) []archEntry { return []archEntry{{h, data}} }

// alterArchive writes dst (a path in the test host) from src with edit
// applied, then extra entries appended. The result is alice's, 0644.
func alterArchive(t *testing.T, src, dst string, edit entryEdit, extra ...archEntry) {
	t.Helper()
	in, err := os.Open(filepath.Join(host.Root(), src))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	outPath := filepath.Join(host.Root(), dst)
	if err := os.MkdirAll(filepath.Dir(outPath), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(out)
	write := func(e archEntry) {
		if e.h.Typeflag == tar.TypeReg {
			e.h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(e.h); err != nil {
			t.Fatalf("writing %s: %v", e.h.Name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading %s: %v", src, err)
		}
		var data []byte
		if h.Typeflag == tar.TypeReg {
			if data, err = io.ReadAll(tr); err != nil {
				t.Fatal(err)
			}
		}
		for _, e := range edit(h, data) {
			write(e)
		}
	}
	for _, e := range extra {
		write(e)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	os.Chown(outPath, aliceUID, aliceUID)
}

// slim keeps the settings and rootfs/etc (what import reads and edits),
// dropping the bulk of the tree so that each variant imports in a second.
func slim(next entryEdit) entryEdit {
	return func(h *tar.Header, data []byte) []archEntry {
		if !strings.HasSuffix(h.Name, ".nspawn") && h.Name != "rootfs/" && !strings.HasPrefix(h.Name, "rootfs/etc/") &&
			h.Name != "rootfs/etc" && !strings.HasPrefix(h.Name, "rootfs/bin") && !strings.HasPrefix(h.Name, "rootfs/usr/") && h.Name != "rootfs/usr" {
			return nil
		}
		if strings.HasPrefix(h.Name, "rootfs/usr/") && !strings.HasPrefix(h.Name, "rootfs/usr/bin/bash") && !strings.HasPrefix(h.Name, "rootfs/usr/sbin/") {
			return nil
		}
		return next(h, data)
	}
}

// withoutUser drops user's lines from passwd, shadow, group and gshadow
// (and its home), so import has to add it.
func withoutUser(user string, next entryEdit) entryEdit {
	return func(h *tar.Header, data []byte) []archEntry {
		switch h.Name {
		case "rootfs/etc/passwd", "rootfs/etc/shadow", "rootfs/etc/group", "rootfs/etc/gshadow",
			"rootfs/etc/passwd-", "rootfs/etc/shadow-", "rootfs/etc/group-", "rootfs/etc/gshadow-":
			var out []string
			for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
				f := strings.Split(l, ":")
				if f[0] == user || (len(f) > 2 && f[2] == fmt.Sprint(aliceUID) && !strings.Contains(h.Name, "shadow")) {
					continue
				}
				if len(f) >= 4 { // drop user from member lists too
					var members []string
					for _, m := range strings.Split(f[3], ",") {
						if m != user && m != "" {
							members = append(members, m)
						}
					}
					f[3] = strings.Join(members, ",")
					l = strings.Join(f, ":")
				}
				out = append(out, l)
			}
			data = []byte(strings.Join(out, "\n") + "\n")
		}
		if strings.HasPrefix(h.Name, "rootfs/home/"+user) {
			return nil
		}
		return next(h, data)
	}
}

// replaced swaps the content of entry name for a shell script.
func replaced(name, script string, next entryEdit) entryEdit {
	return func(h *tar.Header, data []byte) []archEntry {
		if h.Name == name {
			h = &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o755, ModTime: h.ModTime, Format: tar.FormatPAX}
			data = []byte(script)
		}
		return next(h, data)
	}
}

// linkedDir replaces directory name (and everything below it) with a
// symbolic link to target.
func linkedDir(name, target string, next entryEdit) entryEdit {
	return func(h *tar.Header, data []byte) []archEntry {
		switch {
		case strings.TrimSuffix(h.Name, "/") == name:
			return next(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: h.ModTime, Format: tar.FormatPAX}, nil)
		case strings.HasPrefix(h.Name, name+"/"):
			return nil
		}
		return next(h, data)
	}
}

// recordedProject rewrites the project path the settings entry records.
func recordedProject(project string, next entryEdit) entryEdit {
	return func(h *tar.Header, data []byte) []archEntry {
		if strings.HasSuffix(h.Name, ".nspawn") {
			s := regexp.MustCompile(`(?m)^# sbx-project=.*$`).ReplaceAllString(string(data), "# sbx-project="+project)
			s = regexp.MustCompile(`(?m)^Bind=([^:\n]*/src/[^\n]*)$`).ReplaceAllString(s, "Bind="+project)
			data = []byte(s)
		}
		return next(h, data)
	}
}

// hugeSettings makes the settings entry 100 MB.
func hugeSettings(next entryEdit) entryEdit {
	return func(h *tar.Header, data []byte) []archEntry {
		if strings.HasSuffix(h.Name, ".nspawn") {
			data = append(data, bytes.Repeat([]byte("#"), 100<<20)...)
		}
		return next(h, data)
	}
}

func reg(name, content string, mode int64) archEntry {
	return archEntry{&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Format: tar.FormatPAX}, []byte(content)}
}

func sym(name, target string) archEntry {
	return archEntry{&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, Format: tar.FormatPAX}, nil}
}

func hard(name, target string) archEntry {
	return archEntry{&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644, Format: tar.FormatPAX}, nil}
}

func blockDev(name string, major, minor int64) archEntry {
	return archEntry{&tar.Header{Typeflag: tar.TypeBlock, Name: name, Devmajor: major, Devminor: minor, Mode: 0o666, Format: tar.FormatPAX}, nil}
}
