// Package provides names the Debian packages that ship a program, for the
// message sbx prints when a command is not found in a machine. The table is
// built from Debian's Contents indexes (gen.sh) and embedded, so a lookup
// needs no network and no index in the machine, and costs nothing until a
// command is missing.
package provides

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
)

//go:generate ./gen.sh trixie

// Release is the Debian release the table was made from.
const Release = "trixie"

//go:embed commands.txt.gz
var table []byte

// preferred puts the package most users want first where the table's
// order (the package named like the program, then by name) would not, and
// covers programs Debian installs through update-alternatives, which
// Contents does not list.
var preferred = map[string][]string{
	"go":      {"golang-go"},
	"gofmt":   {"golang-go"},
	"python3": {"python3"},
	"python":  {"python-is-python3"},
	"cc":      {"gcc", "build-essential"},
	"c++":     {"g++", "build-essential"},
	"vi":      {"vim", "nvi"},
	"vim":     {"vim"},
	"awk":     {"gawk", "mawk"},
	"nc":      {"netcat-openbsd"},
	"java":    {"default-jre"},
	"javac":   {"default-jdk"},
	"editor":  {"nano", "vim"},
	"cargo":   {"cargo"},
	"rustc":   {"rustc"},
	"perl":    {"perl"},
}

// Packages returns the packages that ship a program called name, the most
// likely first, or nil when no Debian package has it.
func Packages(name string) []string {
	if name == "" || strings.ContainsAny(name, "/ \n") {
		return nil
	}
	var found []string
	zr, err := gzip.NewReader(bytes.NewReader(table))
	if err != nil {
		return preferred[name] // the table is embedded: cannot happen
	}
	sc := bufio.NewScanner(zr)
	prefix := name + " "
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			found = strings.Fields(line)[1:]
			break
		}
		if line > prefix { // sorted: it is not there
			break
		}
	}
	var out []string
	out = append(out, preferred[name]...)
	for _, p := range found {
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
