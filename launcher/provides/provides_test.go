package provides

import (
	"reflect"
	"testing"
)

func TestPackages(t *testing.T) {
	for name, want := range map[string]string{
		"bc":      "bc",
		"make":    "make",
		"go":      "golang-go",
		"python3": "python3",
		"pip3":    "python3-pip",
		"node":    "nodejs",
		"rg":      "ripgrep",
		"cc":      "gcc",
		"cmake":   "cmake",
		"sqlite3": "sqlite3",
	} {
		got := Packages(name)
		if len(got) == 0 || got[0] != want {
			t.Errorf("Packages(%q) = %q, want %q first", name, got, want)
		}
	}
	for _, name := range []string{"no-such-program-anywhere", "", "../bc", "a b", "zzzzzzzzzz"} {
		if got := Packages(name); got != nil {
			t.Errorf("Packages(%q) = %q, want nil", name, got)
		}
	}
	if got := Packages("go"); !reflect.DeepEqual(got, []string{"golang-go", "gccgo-go"}) {
		t.Errorf("Packages(go) = %q", got)
	}
}

func BenchmarkPackages(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Packages("bc")
	}
}
