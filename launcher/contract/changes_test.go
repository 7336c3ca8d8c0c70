package contract

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

func parse(t *testing.T, src string) *Spec {
	t.Helper()
	f, err := sandboxfile.Parse("/home/ada/proj/.sandbox", []byte(src), "/home/ada")
	if err != nil {
		t.Fatal(err)
	}
	return FromFile(f)
}

const baseFile = "[Machine]\nName=proj\nPackages=git make\n[Exec]\nSetup=touch /a\nSetup=touch /b\n[Files]\nBind=~/data\n"

func TestDiffSameIsEmptyAndSumsAgree(t *testing.T) {
	a := parse(t, baseFile).Want()
	// Comments, order of packages and duplicates do not change the record.
	b := parse(t, "# note\n[Machine]\nName=proj\nPackages=make git git\n[Exec]\nSetup=touch /a\nSetup=touch /b\n[Files]\nBind=/home/ada/data:/home/ada/data\n").Want()
	if c := Diff(a, b); !c.Empty() {
		t.Fatalf("Diff of equal specs = %+v", c)
	}
	if a.Sum() != b.Sum() {
		t.Fatalf("Sum differs for equal records: %s %s", a.Sum(), b.Sum())
	}
	r, err := ParseRecord(a.Encode())
	if err != nil || !reflect.DeepEqual(r, a) {
		t.Fatalf("ParseRecord(Encode) = %+v, %v; want %+v", r, err, a)
	}
}

func TestDiffEachKey(t *testing.T) {
	old := parse(t, baseFile).Want()
	want := parse(t, "[Machine]\nName=proj\nRelease=bookworm\nPackages=git bc\nHostname=box.example\nStopWhenIdle=30min\n"+
		"[Exec]\nSetup=touch /b\nSetup=touch /c\nShell=/bin/zsh\n[Files]\nBindReadOnly=~/ro\n[Network]\nPrivate=yes\n").Want()
	c := Diff(old, want)
	if got := c.BaseSummary(); got != "Release= trixie → bookworm" {
		t.Errorf("BaseSummary = %q", got)
	}
	if !reflect.DeepEqual(c.PackagesAdd, []string{"bc"}) || !reflect.DeepEqual(c.PackagesRemove, []string{"make"}) {
		t.Errorf("packages +%v -%v", c.PackagesAdd, c.PackagesRemove)
	}
	if !reflect.DeepEqual(c.SetupNew, []int{1}) || c.SetupRemoved != 1 {
		t.Errorf("Setup new %v removed %d; want [1] and 1", c.SetupNew, c.SetupRemoved)
	}
	if !reflect.DeepEqual(c.BindsAdd, []layout.Bind{{Host: "/home/ada/ro", ReadOnly: true}}) ||
		!reflect.DeepEqual(c.BindsRemove, []layout.Bind{{Host: "/home/ada/data"}}) {
		t.Errorf("binds +%v -%v", c.BindsAdd, c.BindsRemove)
	}
	if c.Hostname != "box.example" || c.Private == nil || !*c.Private || c.StopWhenIdle == nil || *c.StopWhenIdle != 1800 || c.Shell != "/bin/zsh" {
		t.Errorf("hostname %q private %v idle %v shell %q", c.Hostname, c.Private, c.StopWhenIdle, c.Shell)
	}
	want1 := "Packages= +bc -make; Setup= 1 new line, 1 line removed (not undone); Bind= +/home/ada/ro (read-only) -/home/ada/data; " +
		"Hostname= box.example; Private= yes; StopWhenIdle= 30m0s; Shell= /bin/zsh"
	if got := c.Summary(); got != want1 {
		t.Errorf("Summary =\n%s\nwant\n%s", got, want1)
	}
}

func TestDiffChangedSetupLineIsNew(t *testing.T) {
	old := parse(t, "[Exec]\nSetup=echo one\nSetup=echo two\n").Want()
	want := parse(t, "[Exec]\nSetup=echo one\nSetup=echo 2\nSetup=echo two\n").Want()
	c := Diff(old, want)
	if !reflect.DeepEqual(c.SetupNew, []int{1}) || c.SetupRemoved != 0 {
		t.Fatalf("SetupNew = %v, removed %d; want [1], 0", c.SetupNew, c.SetupRemoved)
	}
	if c.Summary() != "Setup= 1 new line" {
		t.Fatalf("Summary = %q", c.Summary())
	}
}

func TestDiffShellEmptyKeepsShell(t *testing.T) {
	old := parse(t, "[Exec]\nShell=/bin/zsh\n").Want()
	want := parse(t, "[Exec]\n").Want()
	if c := Diff(old, want); c.Shell != "" || c.InPlace() {
		t.Fatalf("removing Shell= should change nothing in place, got %+v", c)
	}
}

func TestIdleSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int64{0: 0, time.Millisecond: 1, 90 * time.Second: 90} {
		if got := IdleSeconds(&Spec{StopWhenIdle: d}); got != want {
			t.Errorf("IdleSeconds(%s) = %d, want %d", d, got, want)
		}
	}
}

func TestValidateAgreesWithParser(t *testing.T) {
	s := parse(t, "[Machine]\nHostname=box.example.org\n")
	s.User = User{Name: "ada", UID: 1000, Group: "ada", GID: 1000, Home: "/home/ada", Shell: "/bin/bash"}
	if err := s.Validate(); err != nil {
		t.Fatalf("a spec from a valid .sandbox must validate: %v", err)
	}
	for name, mutate := range map[string]func(*Spec){
		"file mirror":    func(s *Spec) { s.Mirror = "file:/srv/mirror" },
		"release digits": func(s *Spec) { s.Release = "12" },
		"bind over /etc": func(s *Spec) { s.Binds = []layout.Bind{{Host: "/srv", Guest: "/etc"}} },
		"root user":      func(s *Spec) { s.User.UID = 0 },
		"bad package":    func(s *Spec) { s.Packages = []string{"Bad"} },
		"relative shell": func(s *Spec) { s.Shell = "zsh" },
	} {
		c := *s
		mutate(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: Validate accepted it", name)
		} else if !strings.Contains(err.Error(), "invalid") {
			t.Errorf("%s: error %q does not say what is invalid", name, err)
		}
	}
}
