package builder

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuietZsh(t *testing.T) {
	root := t.TempDir()
	u := User{Name: "u", UID: os.Getuid(), GID: os.Getgid(), Home: "/home/u"}
	home := filepath.Join(root, u.Home)
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := quietZshAt(t, root, u); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(home, ".zshrc"))
	if err != nil || !strings.HasPrefix(string(data), "# Created by sbx") {
		t.Fatalf("~/.zshrc after quietZsh: %q, %v", data, err)
	}
	// Run again: the file is kept as it is.
	os.WriteFile(filepath.Join(home, ".zshrc"), []byte("mine\n"), 0o644)
	if err := quietZshAt(t, root, u); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(home, ".zshrc")); string(data) != "mine\n" {
		t.Errorf("a second run changed ~/.zshrc to %q", data)
	}

	// Any other startup file is enough: no .zshrc is added.
	os.Remove(filepath.Join(home, ".zshrc"))
	os.WriteFile(filepath.Join(home, ".zprofile"), nil, 0o644)
	if err := quietZshAt(t, root, u); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(home, ".zshrc")); err == nil {
		t.Errorf("~/.zshrc created although ~/.zprofile exists")
	}

	// A symbolic link planted at ~/.zshrc is not followed.
	os.Remove(filepath.Join(home, ".zprofile"))
	target := filepath.Join(root, "target")
	os.Symlink(target, filepath.Join(home, ".zshrc"))
	_ = quietZshAt(t, root, u)
	if _, err := os.Stat(target); err == nil {
		t.Errorf("quietZsh wrote through a symbolic link")
	}
}

func quietZshAt(t *testing.T, root string, u User) error {
	tr, err := openTree(root)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	return quietZsh(tr, u)
}
