package sandboxfile

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
)

const testPath = "/src/proj/.sandbox"
const testHome = "/home/u"

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse(testPath, []byte(src), testHome)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return f
}

func TestParseDefaults(t *testing.T) {
	f := mustParse(t, "")
	want := Machine{
		Name: DefaultName("/src/proj"), Distribution: "debian", Release: "trixie",
		Mirror: "http://deb.debian.org/debian", Hostname: DefaultName("/src/proj"),
	}
	if !reflect.DeepEqual(f.Machine, want) {
		t.Errorf("defaults = %+v, want %+v", f.Machine, want)
	}
	if f.Network.Private {
		t.Error("Network.Private defaults to true, want false")
	}
	if f.Root != "/src/proj" || f.Path != testPath {
		t.Errorf("Root, Path = %q, %q", f.Root, f.Path)
	}
	// sha256 of the empty input.
	if f.Hash != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("Hash = %s", f.Hash)
	}
}

func TestParseUbuntuDefaults(t *testing.T) {
	f := mustParse(t, "[Machine]\nDistribution=ubuntu\n")
	if f.Machine.Release != "noble" || f.Machine.Mirror != "http://archive.ubuntu.com/ubuntu" {
		t.Errorf("ubuntu defaults: %+v", f.Machine)
	}
}

func TestParseFull(t *testing.T) {
	src := `# comment
; another comment
[Machine]
Name = web-app
Distribution=ubuntu
Release=jammy
Mirror=https://mirror.example.org/ubuntu/
Packages=git  build-essential
Packages=git curl
Hostname=Web.local
StopWhenIdle=1h 30min

[Exec]
Setup=apt-get install -y "a b" 'c d' e\ f
Setup=sh -c 'echo $HOME | tee /x && true'
Shell=/usr/bin//zsh
Environment=A=1
Environment=B=x=y z
Environment=A=2
PassEnvironment=SSH_AUTH_SOCK  TERM
PassEnvironment=TERM DISPLAY

[Files]
Bind=~/.cache
BindReadOnly=/srv/a\:b:/mnt/c
Bind=~

[Network]
Private=Yes
`
	f := mustParse(t, strings.ReplaceAll(src, "\n", "\r\n"))
	wantMachine := Machine{
		Name: "web-app", Distribution: "ubuntu", Release: "jammy",
		Mirror: "https://mirror.example.org/ubuntu/", Hostname: "Web.local",
		Packages: []string{"git", "build-essential", "curl"}, StopWhenIdle: 90 * time.Minute,
	}
	if !reflect.DeepEqual(f.Machine, wantMachine) {
		t.Errorf("Machine = %+v\nwant %+v", f.Machine, wantMachine)
	}
	wantExec := Exec{
		Setup: [][]string{
			{"apt-get", "install", "-y", "a b", "c d", "e f"},
			{"sh", "-c", "echo $HOME | tee /x && true"},
		},
		Shell:           "/usr/bin/zsh",
		Environment:     []string{"B=x=y z", "A=2"},
		PassEnvironment: []string{"SSH_AUTH_SOCK", "TERM", "DISPLAY"},
	}
	if !reflect.DeepEqual(f.Exec, wantExec) {
		t.Errorf("Exec = %+v\nwant %+v", f.Exec, wantExec)
	}
	wantBinds := []Bind{
		{Bind: layout.Bind{Host: "/home/u/.cache", Guest: "/home/u/.cache"}, Line: 24},
		{Bind: layout.Bind{Host: "/srv/a:b", Guest: "/mnt/c", ReadOnly: true}, Line: 25},
		{Bind: layout.Bind{Host: "/home/u", Guest: "/home/u"}, Line: 26},
	}
	if !reflect.DeepEqual(f.Files.Binds, wantBinds) {
		t.Errorf("Binds = %+v\nwant %+v", f.Files.Binds, wantBinds)
	}
	if !f.Network.Private {
		t.Error("Private=Yes not parsed as true")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg, hint string // substrings
	}{
		{"unknown section", "[Machin]\n", 1, "unknown section [Machin]", "did you mean [Machine]"},
		{"unknown section far", "[Install]\n", 1, "unknown section [Install]", "sections are [Machine], [Exec], [Files], [Network]"},
		{"bad header", "[Machine\n", 1, "malformed section header", "[Machine]"},
		{"unknown key", "[Machine]\nPackage=git\n", 2, "unknown key Package= in [Machine]", "did you mean Packages="},
		{"key case", "[Machine]\n\nname=x\n", 3, "unknown key name=", "did you mean Name="},
		{"key far", "[Network]\nVirtualEthernet=yes\n", 2, "unknown key VirtualEthernet=", "keys in [Network] are Private="},
		{"wrong section", "[Exec]\nBind=/a\n", 2, "Bind= belongs in [Files], not [Exec]", "move it under [Files]"},
		{"outside section", "Name=x\n", 1, "Name= is outside any section", "put a [Machine] line above it"},
		{"outside unknown", "Foo=x\n", 1, "Foo= is outside any section", "section header"},
		{"no equals", "[Machine]\nPackages git\n", 2, `expected Key=Value, found "Packages git"`, "Key=Value"},
		{"no key", "[Machine]\n=x\n", 2, "missing key", ""},
		{"duplicate", "[Machine]\nName=a\n[Exec]\n[Machine]\nName=b\n", 5, "Name= is already set at line 2", "keep one Name= line"},
		{"empty", "[Machine]\nRelease=\n", 2, "Release= has an empty value", "delete the line to use the default"},
		{"bad name", "[Machine]\nName=my.proj\n", 2, `contains '.'`, "lower-case"},
		{"long name", "[Machine]\nName=" + strings.Repeat("a", 65) + "\n", 2, "the limit is 64", ""},
		{"bad distribution", "[Machine]\nDistribution=fedora\n", 2, "unknown distribution", "debian or ubuntu"},
		{"bad release", "[Machine]\nRelease=12\n", 2, "not a release codename", "Release=trixie"},
		{"bad mirror", "[Machine]\nMirror=ftp://x/debian\n", 2, "not an http:// or https:// URL", "Mirror=http://deb.debian.org/debian"},
		{"mirror query", "[Machine]\nMirror=http://x/d?a=b\n", 2, "no ?query", ""},
		{"mirror space", "[Machine]\nMirror=http://x/a b\n", 2, "cannot contain spaces", ""},
		{"package version", "[Machine]\nPackages=git=1:2.39\n", 2, "only package names", "Packages=git"},
		{"package arch", "[Machine]\nPackages=libc6:i386\n", 2, "only package names", "Packages=libc6"},
		{"package case", "[Machine]\nPackages=Git\n", 2, `"Git" is not a valid Debian package name`, ""},
		{"bad hostname", "[Machine]\nHostname=a_b\n", 2, "hostname contains '_'", ""},
		{"hostname dots", "[Machine]\nHostname=a..b\n", 2, "1 to 63", ""},
		{"bad idle", "[Machine]\nStopWhenIdle=soon\n", 2, "StopWhenIdle=soon", "30min"},
		{"bad idle unit", "[Machine]\nStopWhenIdle=5 fortnights\n", 2, `unknown time unit "fortnights"`, ""},
		{"negative idle", "[Machine]\nStopWhenIdle=-5m\n", 2, "negative", ""},
		{"setup semicolon", "[Exec]\nSetup=apt-get update; apt-get install x\n", 2, `shell operator ";"`, "Setup=sh -c"},
		{"setup and", "[Exec]\nSetup=make && make install\n", 2, `shell operator "&&"`, "Setup=sh -c"},
		{"setup pipe", "[Exec]\nSetup=curl x | sh\n", 2, `shell operator "|"`, ""},
		{"setup redirect", "[Exec]\nSetup=echo x >/etc/y\n", 2, `shell operator ">"`, ""},
		{"setup fd redirect", "[Exec]\nSetup=make 2>&1\n", 2, `shell operator "2>&"`, ""},
		{"setup background", "[Exec]\nSetup=sleep 1 &\n", 2, `shell operator "&"`, ""},
		{"setup input", "[Exec]\nSetup=sh </x\n", 2, `shell operator "<"`, ""},
		{"setup variable", "[Exec]\nSetup=echo $HOME\n", 2, "$HOME would not be expanded", "Setup=sh -c"},
		{"setup braces", "[Exec]\nSetup=echo ${HOME}\n", 2, "${… would not be expanded", ""},
		{"setup substitution", "[Exec]\nSetup=echo $(date)\n", 2, "$(… would not be expanded", ""},
		{"setup backtick", "[Exec]\nSetup=echo `date`\n", 2, "`…` would not be expanded", ""},
		{"setup quote", "[Exec]\nSetup=echo 'x\n", 2, "unbalanced quotes", ""},
		{"setup paren", "[Exec]\nSetup=echo (x)\n", 2, "'(' or ')'", ""},
		{"setup empty word", "[Exec]\nSetup=''\n", 2, "empty command", ""},
		{"relative shell", "[Exec]\nShell=bash\n", 2, "relative path", "Shell=/bin/bash"},
		{"env no equals", "[Exec]\nEnvironment=FOO\n", 2, "expected KEY=VALUE", ""},
		{"env bad name", "[Exec]\nEnvironment=1A=x\n", 2, `"1A" is not a valid variable name`, ""},
		{"pass bad name", "[Exec]\nPassEnvironment=A B-C\n", 2, `"B-C" is not a valid variable name`, ""},
		{"bind relative", "[Files]\nBind=src/x\n", 2, "relative host path src/x", "absolute path or ~/"},
		{"bind guest relative", "[Files]\nBind=/a:b\n", 2, "relative guest path b", ""},
		{"bind tilde user", "[Files]\nBind=~root/x\n", 2, "~user is not supported", ""},
		{"bind too many colons", "[Files]\nBind=/a:/b:ro\n", 2, "too many ':'", `'\:'`},
		{"bind bad escape", "[Files]\nBind=/a\\n\n", 2, "unknown escape", ""},
		{"bind root", "[Files]\nBind=/srv/x:/\n", 2, "cannot bind over / in", ""},
		{"bind usr", "[Files]\nBind=/usr\n", 2, "cannot bind over /usr", ""},
		{"bind etc cleaned", "[Files]\nBindReadOnly=/x:/etc/\n", 2, "cannot bind over /etc", ""},
		{"bind run sbx", "[Files]\nBind=/tmp/x:/run/sbx\n", 2, "cannot bind over /run/sbx", ""},
		{"bind under proc", "[Files]\nBind=/x:/proc/1\n", 2, "cannot bind under /proc", ""},
		{"bind under run sbx", "[Files]\nBind=/x:/run/sbx/agent.sock\n", 2, "cannot bind under /run/sbx", ""},
		{"bind empty host", "[Files]\nBind=:/x\n", 2, "empty host path", ""},
		{"bad bool", "[Network]\nPrivate=maybe\n", 2, "not a boolean", "yes or no"},
		{"control char", "[Machine]\nName=a\x1bb\n", 2, "control character U+001B", ""},
		{"nul", "[Machine]\x00\n", 1, "control character U+0000", ""},
		{"not utf8", "# \xff\n", 1, "not valid UTF-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(testPath, []byte(tt.src), testHome)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) = %v, want a *ParseError", tt.src, err)
			}
			if pe.Line != tt.line || pe.File != testPath {
				t.Errorf("error at %s:%d, want %s:%d (%v)", pe.File, pe.Line, testPath, tt.line, err)
			}
			if !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("Msg = %q, want it to contain %q", pe.Msg, tt.msg)
			}
			if !strings.Contains(pe.Fix, tt.hint) {
				t.Errorf("Fix = %q, want it to contain %q", pe.Fix, tt.hint)
			}
			if pe.Fix == "" {
				t.Errorf("error %q has no hint", pe.Msg)
			}
			wantPrefix := testPath + ":" + strconv.Itoa(tt.line) + ": "
			if !strings.HasPrefix(err.Error(), wantPrefix) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), wantPrefix)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, src string }{
		{"blank and comments only", "\n  \n# x\n; y\n"},
		{"indented", "  [Machine]  \n\tName = a \n"},
		{"quoted operator", "[Exec]\nSetup=sh -c 'a && b; c | d > e'\n"},
		{"escaped operator", "[Exec]\nSetup=echo a\\;b\n"},
		{"single quoted dollar", "[Exec]\nSetup=sh -c 'echo $X `y`'\n"},
		{"double quoted for sh -c", "[Exec]\nSetup=sh -c \"cd $HOME && echo `date` $(id)\"\n"},
		{"escaped dollar", "[Exec]\nSetup=echo \\$HOME\n"},
		{"lone dollar", "[Exec]\nSetup=echo $ 5$\n"},
		{"idle zero", "[Machine]\nStopWhenIdle=0\n"},
		{"idle empty", "[Machine]\nStopWhenIdle=\n"},
		{"bind under etc", "[Files]\nBindReadOnly=/etc/ssl/certs:/etc/ssl/certs\n"},
		{"bind with spaces and comma", "[Files]\nBind=/tmp/sp test/a\\:b,c\n"},
		{"bind backslash", "[Files]\nBind=/tmp/a\\\\b\n"},
		{"no trailing newline", "[Network]\nPrivate=off"},
		{"repeated section", "[Machine]\nPackages=a1\n[Exec]\n[Machine]\nPackages=b2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustParse(t, tt.src)
		})
	}
}

func TestTimespan(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"30min", 30 * time.Minute}, {"1h", time.Hour}, {"1h30m", 90 * time.Minute},
		{"90", 90 * time.Second}, {"2 h", 2 * time.Hour}, {"1h 5min 3s", time.Hour + 5*time.Minute + 3*time.Second},
		{"1.5h", 90 * time.Minute}, {"1d", 24 * time.Hour}, {"2weeks", 14 * 24 * time.Hour}, {"250ms", 250 * time.Millisecond},
	}
	for _, tt := range tests {
		got, err := parseTimespan(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseTimespan(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"x", "5x", "-1h", "min", "99999999999999999999s", "9999999999w", "1h -2m"} {
		if d, err := parseTimespan(in); err == nil {
			t.Errorf("parseTimespan(%q) = %v, want an error", in, d)
		}
	}
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`make -j8`, []string{"make", "-j8"}},
		{`sh -c "cd $HOME && make"`, []string{"sh", "-c", "cd $HOME && make"}},
		{`sh -c 'a | b'`, []string{"sh", "-c", "a | b"}},
		{`printf '%s\n' "x y" z\ w`, []string{"printf", `%s\n`, "x y", "z w"}},
		{`echo ''`, []string{"echo", ""}},
	}
	for _, tt := range tests {
		got, verr := splitCommand(tt.in)
		if verr != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tt.in, got, verr, tt.want)
		}
	}
}
