package builder

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// fakeTree makes a tree with the account files given and, like a hostile
// archive, a useradd and groupadd that would leave a mark if run.
func fakeTree(t *testing.T, files map[string]string) (root, mark string) {
	t.Helper()
	root = t.TempDir()
	mark = filepath.Join(t.TempDir(), "ran")
	for name, content := range map[string]string{
		"usr/sbin/useradd":  "#!/bin/sh\ntouch " + mark + "\n",
		"usr/sbin/groupadd": "#!/bin/sh\ntouch " + mark + "\n",
		"etc/skel/.bashrc":  "# skel\n",
		"bin/bash":          "",
	} {
		files[name] = content
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "etc/sudoers.d"), 0o755)
	return root, mark
}

func testSpec(groups ...Group) *Spec {
	return &Spec{Name: "m", User: User{Name: "ada", UID: 4242, Group: "ada", GID: 4242, Home: "/home/ada", Shell: "/bin/bash", Groups: groups}}
}

func read(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestAddUserEditsTheFiles: the user and her groups are added by editing
// passwd, group, shadow and gshadow; no program of the tree runs.
func TestAddUserEditsTheFiles(t *testing.T) {
	root, mark := fakeTree(t, map[string]string{
		"etc/passwd":  "root:x:0:0:root:/root:/bin/bash\n",
		"etc/group":   "root:x:0:\nsudo:x:27:\nteam:x:2345:bob\nclash:x:3000:\nother:x:5000:\n",
		"etc/shadow":  "root:*:19000:0:99999:7:::\n",
		"etc/gshadow": "root:*::\nsudo:*::\nteam:!::bob\n",
	})
	var events bytes.Buffer
	r := NewReporter(&events)
	s := testSpec(Group{Name: "team", GID: 2345}, Group{Name: "clash", GID: 3001}, Group{Name: "newgrp", GID: 6000}, Group{Name: "renamed", GID: 5000})
	if err := addUser(t.Context(), s, root, r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("addUser ran the tree's useradd or groupadd")
	}
	if got := read(t, root, "etc/passwd"); got != "root:x:0:0:root:/root:/bin/bash\nada:x:4242:4242::/home/ada:/bin/bash\n" {
		t.Errorf("passwd:\n%s", got)
	}
	wantGroup := "root:x:0:\nsudo:x:27:ada\nteam:x:2345:bob,ada\nclash:x:3000:\nother:x:5000:\nada:x:4242:\nnewgrp:x:6000:ada\n"
	if got := read(t, root, "etc/group"); got != wantGroup {
		t.Errorf("group:\n%s\nwant:\n%s", got, wantGroup)
	}
	if got := read(t, root, "etc/shadow"); !strings.Contains(got, "\nada:!:") {
		t.Errorf("shadow:\n%s", got)
	}
	if got := read(t, root, "etc/gshadow"); !strings.Contains(got, "team:!::bob,ada\n") || !strings.Contains(got, "newgrp:!::ada\n") || !strings.Contains(got, "sudo:*::ada\n") {
		t.Errorf("gshadow:\n%s", got)
	}
	if !strings.Contains(events.String(), "clash (it has GID 3000 inside, 3001 here)") || !strings.Contains(events.String(), `renamed (GID 5000 is \"other\" inside)`) {
		t.Errorf("clashes not reported: %s", events.String())
	}
	if got := read(t, root, "home/ada/.bashrc"); got != "# skel\n" {
		t.Errorf("home from skel: %q", got)
	}
	if got := read(t, root, "etc/sudoers.d/sbx-ada"); !strings.HasPrefix(got, "ada ALL=") {
		t.Errorf("sudoers: %q", got)
	}
	// Again: nothing changes.
	before := read(t, root, "etc/group") + read(t, root, "etc/passwd")
	if err := addUser(t.Context(), s, root, NewReporter(io.Discard)); err != nil {
		t.Fatal(err)
	}
	if after := read(t, root, "etc/group") + read(t, root, "etc/passwd"); after != before {
		t.Errorf("a second run changed the files:\n%s", after)
	}
}

// TestAddUserStaysInTheTree: a tree whose /etc and /home are links to host
// directories gets its files inside itself, never in those directories.
func TestAddUserStaysInTheTree(t *testing.T) {
	host := t.TempDir()
	os.MkdirAll(filepath.Join(host, "etc/sudoers.d"), 0o755)
	os.WriteFile(filepath.Join(host, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(host, "etc/group"), []byte("root:x:0:\n"), 0o644)
	os.MkdirAll(filepath.Join(host, "home"), 0o755)
	root, mark := fakeTree(t, map[string]string{})
	os.RemoveAll(filepath.Join(root, "etc"))
	os.Symlink(filepath.Join(host, "etc"), filepath.Join(root, "etc"))
	os.Symlink(filepath.Join(host, "home"), filepath.Join(root, "home"))
	err := addUser(t.Context(), testSpec(), root, NewReporter(io.Discard))
	if err == nil {
		t.Error("addUser found account files through a link out of the tree")
	}
	if got, _ := os.ReadFile(filepath.Join(host, "etc/passwd")); string(got) != "root:x:0:0::/root:/bin/sh\n" {
		t.Errorf("the host's passwd changed: %q", got)
	}
	if entries, _ := os.ReadDir(filepath.Join(host, "home")); len(entries) != 0 {
		t.Errorf("a home was made on the host: %v", entries)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("a tree program ran")
	}
}

func TestTreeWriteThroughLinkStaysInside(t *testing.T) {
	root, host := t.TempDir(), t.TempDir()
	os.Symlink(host, filepath.Join(root, "etc"))
	// The link leads nowhere inside the tree: refused.
	if err := writeFile(root, "etc/hostname", "x\n", 0o644); err == nil {
		t.Error("wrote through a link that leads out of the tree")
	}
	// Once the place exists inside the tree, the file goes there.
	os.MkdirAll(filepath.Join(root, host), 0o755)
	if err := writeFile(root, "etc/hostname", "x\n", 0o644); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(host); len(entries) != 0 {
		t.Errorf("wrote into the host directory: %v", entries)
	}
	if got := read(t, root, filepath.Join(host, "hostname")); got != "x\n" {
		t.Errorf("the file is not where the link leads inside the tree: %q", got)
	}
	// A link at the file itself is replaced, not followed.
	target := filepath.Join(host, "target")
	os.MkdirAll(filepath.Join(root, "var"), 0o755)
	os.Symlink(target, filepath.Join(root, "var/f"))
	if err := writeFile(root, "var/f", "y", 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(target); err == nil {
		t.Error("wrote through a link at the last component")
	}
}

func TestTreeReadRefusesFIFOAndHugeFiles(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	if err := mkfifo(filepath.Join(root, "etc/passwd")); err != nil {
		t.Fatal(err)
	}
	tr, _ := openTree(root)
	defer tr.Close()
	if _, err := tr.readFile("etc/passwd"); err == nil {
		t.Error("read a FIFO")
	}
	f, _ := os.Create(filepath.Join(root, "etc/group"))
	f.Truncate(maxTreeFile + 1)
	f.Close()
	if _, err := tr.readFile("etc/group"); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("read a huge file: %v", err)
	}
}

// FuzzAccounts: any file content parses, an added line is found again,
// and the lines not edited are kept byte for byte.
func FuzzAccounts(f *testing.F) {
	f.Add([]byte("root:x:0:0::/root:/bin/sh\nsudo:x:27:a,b\n"), "ada", 4242)
	f.Add([]byte(":::\n+nis\n-x:1:2\nbad:x:-1:\n\n\n"), "x", 1)
	f.Fuzz(func(t *testing.T, data []byte, name string, id int) {
		if !userRE().MatchString(name) || id <= 0 {
			return
		}
		a := parseAccounts(data)
		orig := append([]string(nil), a.lines...)
		if g, ok := a.byName(name); ok {
			a.addMember(g, "zed")
		} else {
			a.add(name, "x", "4242", "")
			if _, ok := a.byName(name); !ok && !strings.ContainsAny(name, ":\n") {
				t.Fatalf("added %q, not found again", name)
			}
		}
		for i, l := range orig {
			if a.lines[i] != l {
				if e, ok := a.parse(i); !ok || e.name != name {
					t.Fatalf("line %d changed: %q -> %q", i, l, a.lines[i])
				}
			}
		}
		parseAccounts(a.bytes())
	})
}

func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
