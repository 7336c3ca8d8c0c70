package cli

import (
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

func TestParseDesktop(t *testing.T) {
	e, err := parseDesktop([]byte("[Desktop Entry]\nName=X Eyes\nName[de]=Augen\nExec=xeyes -fg red %U\nTerminal=false\n[Desktop Action new]\nExec=evil\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e.name != "X Eyes" || strings.Join(e.exec, " ") != "xeyes -fg red" || e.terminal {
		t.Fatalf("parsed %+v", e)
	}
	for _, bad := range []string{"Exec=sh -c 'rm -rf ~'", "Exec=a;b", "Exec=$(id)", "Name=x"} {
		if _, err := parseDesktop([]byte("[Desktop Entry]\n" + bad + "\n")); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestDesktopEntry(t *testing.T) {
	p := &project{Name: "m", File: &sandboxfile.File{Root: `/home/ada/my "proj" 100%`}}
	got := desktopEntry("/usr/local/lib/sbx/sbx", p, "xeyes", desktopApp{name: "X\x1b[31mEyes\n", exec: []string{"xeyes"}})
	for _, want := range []string{
		"\n" + shimMark + " desktop entry of xeyes in machine m",
		"\nName=X\\u001b[31mEyes\\u000a (m)\n",
		"\nExec=\"/usr/local/lib/sbx/sbx\" __shim \"/home/ada/my \\\\\"proj\\\\\" 100%%\" xeyes\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("desktop entry lacks %q:\n%s", want, got)
		}
	}
	if !isShim([]byte(got)) {
		t.Error("the entry is not recognised as a shim")
	}
}
