package sandboxfile

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// A Need is one thing `sbx init` found in a project and what the machine
// then gets so the project's own build works there.
type Need struct {
	Why      string   // what was found, e.g. "Makefile"
	What     string   // what it means, e.g. "make and a C compiler"
	Packages []string // Debian packages for Packages=
	Setup    []string // Setup= lines (no shell unless they say sh -c)
	Env      []string // Environment= lines
	Note     string   // a comment line for the file, or ""
}

// Detection is what Detect found, in a fixed order.
type Detection []Need

// Packages returns every package of d once, in order.
func (d Detection) Packages() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range d {
		for _, p := range n.Packages {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// defaultGo is the Go of golang-go in DefaultRelease (trixie: 1.24). A
// go.mod asking for more gets GOTOOLCHAIN=auto: this Go then fetches the
// exact toolchain through the Go module proxy, as on any host.
var defaultGo = goVersion{1, 24}

// Detect looks at the files at the top of the project at root (nothing
// below it is read but go.mod's go line) and returns what its build needs
// in a DefaultRelease machine. Nothing is run; a file that cannot be read
// counts as absent.
func Detect(root string) Detection {
	has := func(name string) bool {
		_, err := os.Lstat(filepath.Join(root, name))
		return err == nil
	}
	isDir := func(name string) bool {
		st, err := os.Lstat(filepath.Join(root, name))
		return err == nil && st.IsDir()
	}
	var d Detection
	switch {
	case has("CMakeLists.txt"):
		d = append(d, Need{Why: "CMakeLists.txt", What: "CMake, make and a C/C++ compiler",
			Packages: []string{"cmake", "build-essential"}})
	case has("meson.build"):
		d = append(d, Need{Why: "meson.build", What: "Meson, Ninja and a C/C++ compiler",
			Packages: []string{"meson", "ninja-build", "build-essential"}})
	case has("configure"):
		d = append(d, Need{Why: "configure", What: "make and a C/C++ compiler",
			Packages: []string{"build-essential"}})
	case has("configure.ac"):
		d = append(d, Need{Why: "configure.ac", What: "autotools, make and a C/C++ compiler",
			Packages: []string{"autoconf", "automake", "libtool", "build-essential"}})
	case has("Makefile") || has("makefile") || has("GNUmakefile"):
		d = append(d, Need{Why: "Makefile", What: "make and a C/C++ compiler",
			Packages: []string{"build-essential"}})
	}
	if has("go.mod") {
		d = append(d, goNeed(filepath.Join(root, "go.mod")))
	}
	if has("Cargo.toml") {
		d = append(d, Need{Why: "Cargo.toml", What: "Rust (cargo, rustc)",
			Packages: []string{"cargo", "rustc"},
			Note:     "Debian's Rust; for a newer one, install rustup in 'sbx shell'"})
	}
	if has("package.json") {
		d = append(d, Need{Why: "package.json", What: "Node.js and npm", Packages: []string{"nodejs", "npm"}})
	}
	for _, f := range []string{"pyproject.toml", "requirements.txt", "setup.py"} {
		if has(f) {
			d = append(d, Need{Why: f, What: "Python 3 with venv and pip",
				Packages: []string{"python3", "python3-venv", "python3-pip"},
				Note:     "Debian's Python refuses 'pip install' outside a venv: python3 -m venv .venv"})
			break
		}
	}
	if isDir("debian") && has("debian/control") {
		d = append(d, Need{Why: "debian/", What: "Debian packaging tools and the package's build dependencies",
			Packages: []string{"devscripts", "equivs", "build-essential"},
			// apt-get reads the build dependencies from ./debian/control
			// (the project directory, where Setup= runs); the base has no
			// package lists, hence the update.
			Setup: []string{"sh -c 'apt-get update && apt-get build-dep -y ./'"},
			Note:  "Setup= runs once, when the machine is created: after changing Build-Depends, run sbx run --root apt-get build-dep -y ./"})
	}
	if has(".git") {
		d = append(d, Need{Why: ".git", What: "git", Packages: []string{"git"}})
	}
	return d
}

// Setup returns the Setup= lines of d.
func (d Detection) Setup() []string { return d.lines(func(n Need) []string { return n.Setup }) }

func goNeed(gomod string) Need {
	n := Need{Why: "go.mod", What: "Go (golang-go, Go " + defaultGo.String() + " in Debian " + DefaultRelease + ")",
		Packages: []string{"golang-go"}}
	want, ok := goModVersion(gomod)
	if ok && defaultGo.less(want) {
		n.What = "Go (golang-go " + defaultGo.String() + "; go.mod asks for go " + want.String() + ", so GOTOOLCHAIN=auto fetches that toolchain)"
		n.Env = []string{"GOTOOLCHAIN=auto"}
	}
	return n
}

type goVersion [2]int

func (v goVersion) String() string { return strconv.Itoa(v[0]) + "." + strconv.Itoa(v[1]) }

func (v goVersion) less(w goVersion) bool {
	return v[0] < w[0] || v[0] == w[0] && v[1] < w[1]
}

var goLine = regexp.MustCompile(`^go\s+(\d+)\.(\d+)`)

// goModVersion reads the go directive ("go 1.26" or "go 1.26.1") of a
// go.mod, whose toolchain line Go itself honours.
func goModVersion(path string) (goVersion, bool) {
	f, err := os.Open(path)
	if err != nil {
		return goVersion{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan() && i < 200; i++ {
		m := goLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		major, err1 := strconv.Atoi(m[1])
		minor, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil {
			return goVersion{}, false
		}
		return goVersion{major, minor}, true
	}
	return goVersion{}, false
}
