package sandboxfile

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError pointing at a real line with a fix, and that what it accepts
// keeps its invariants and parses the same way again.
func FuzzParse(f *testing.F) {
	f.Add([]byte(Template("/src/proj")))
	f.Add([]byte("[Machine]\nName=a\nPackages=git curl\nStopWhenIdle=1h 30min\n[Exec]\nSetup=sh -c 'a && b'\nEnvironment=A=1\n[Files]\nBind=~/x\\:y:/z\n[Network]\nPrivate=yes\n"))
	f.Add([]byte("[Exec]\nSetup=make 2>&1\n"))
	f.Add([]byte("[Files]\nBind=/a:/b:/c\n"))
	f.Add([]byte("Name=x\n"))
	f.Add([]byte("[Machine]\r\nName=x\r\nName=y\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/src/proj/.sandbox"
		file, err := Parse(path, data, "/home/u")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			if pe.Line < 1 || pe.Line > lines || pe.File != path || pe.Msg == "" || pe.Fix == "" {
				t.Fatalf("bad ParseError %+v for a %d-line input", pe, lines)
			}
			return
		}
		checkInvariants(t, file)
		again, err := Parse(path, file.Data, "/home/u")
		if err != nil {
			t.Fatalf("accepted input fails to re-parse: %v", err)
		}
		if !reflect.DeepEqual(file, again) {
			t.Fatalf("re-parse differs:\n%+v\n%+v", file, again)
		}
		// A trailing comment changes the hash but nothing else.
		more, err := Parse(path, append(append([]byte{}, data...), "\n# trailing comment\n"...), "/home/u")
		if err != nil {
			t.Fatalf("accepted input plus a comment line fails: %v", err)
		}
		more.Data, more.Hash = file.Data, file.Hash
		if !reflect.DeepEqual(file, more) {
			t.Fatalf("a trailing comment changed the result:\n%+v\n%+v", file, more)
		}
	})
}

func checkInvariants(t *testing.T, f *File) {
	t.Helper()
	m := f.Machine
	if err := ValidName(m.Name); err != nil {
		t.Fatalf("accepted an invalid name: %v", err)
	}
	if err := ValidHostname(m.Hostname); err != nil {
		t.Fatalf("accepted an invalid hostname: %v", err)
	}
	if m.Distribution != "debian" && m.Distribution != "ubuntu" || m.Release == "" || m.Mirror == "" || m.StopWhenIdle < 0 {
		t.Fatalf("bad machine settings: %+v", m)
	}
	for _, p := range m.Packages {
		if !packageRE().MatchString(p) {
			t.Fatalf("accepted package %q", p)
		}
	}
	for _, argv := range f.Exec.Setup {
		if len(argv) == 0 || argv[0] == "" {
			t.Fatalf("accepted an empty Setup= command")
		}
	}
	if f.Exec.Shell != "" && !filepath.IsAbs(f.Exec.Shell) {
		t.Fatalf("accepted relative Shell=%q", f.Exec.Shell)
	}
	for _, kv := range f.Exec.Environment {
		if k, _, ok := strings.Cut(kv, "="); !ok || !envNameRE().MatchString(k) {
			t.Fatalf("accepted Environment=%q", kv)
		}
	}
	for _, b := range f.Files.Binds {
		if !filepath.IsAbs(b.Host) || !filepath.IsAbs(b.Guest) || filepath.Clean(b.Host) != b.Host || filepath.Clean(b.Guest) != b.Guest || b.Line < 1 {
			t.Fatalf("accepted bind %+v", b)
		}
		if strings.ContainsAny(b.Host+b.Guest, "\n\x00") || b.Guest == "/" || b.Guest == "/usr" || b.Guest == "/run/sbx" {
			t.Fatalf("accepted bind %+v", b)
		}
	}
}
