package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestProjectGone(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(tmp, "nested")
	if err := os.MkdirAll(filepath.Join(nested, "proj"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		tmp:                           false,
		filepath.Join(tmp, "deleted"): true,
		filepath.Join(tmp, "a", "b"):  true,
		file:                          true, // a file where the directory was
		filepath.Join(file, "proj"):   true, // ENOTDIR
		"":                            false,
		filepath.Join(nested, "proj"): false,
	}
	for dir, want := range cases {
		if got := projectGone(dir); got != want {
			t.Errorf("projectGone(%q) = %v, want %v", dir, got, want)
		}
	}
}
