package sandboxfile

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/sbxdev/sbx/launcher/layout"
)

// The validators below are the one set of rules for a machine's settings:
// the parser applies them to a .sandbox, and the privileged helper applies
// them again to the spec it is handed (the CLI may be any program run by a
// member of group sbx). Each error says what is wrong; the parser adds how
// to fix it.

var (
	releaseRE = lazyRegexp(`^[a-z]+$`)
	// Debian policy 5.6.1: lower case letters, digits, + - . ; at least two
	// characters, starting with an alphanumeric.
	packageRE = lazyRegexp(`^[a-z0-9][a-z0-9+.-]+$`)
	envNameRE = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// lazyRegexp compiles expr on first use: compiling at package init costs
// every sbx invocation (sbx run among them) time it never needs.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// ValidDistribution checks Distribution=.
func ValidDistribution(v string) error {
	if v != "debian" && v != "ubuntu" {
		return errors.New("unknown distribution")
	}
	return nil
}

// ValidRelease checks Release=: a codename, letters only.
func ValidRelease(v string) error {
	if !releaseRE().MatchString(v) {
		return errors.New("not a release codename")
	}
	return nil
}

// ValidMirror checks Mirror=: an http or https URL without query or
// fragment (apt and debootstrap take it as a base URL).
func ValidMirror(v string) error {
	if strings.ContainsAny(v, " \t") {
		return errors.New("a mirror URL cannot contain spaces")
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an http:// or https:// URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("a mirror URL has no ?query or #fragment")
	}
	return nil
}

// ValidPackage checks one name of Packages=.
func ValidPackage(name string) error {
	if !packageRE().MatchString(name) {
		return fmt.Errorf("%q is not a valid Debian package name", name)
	}
	return nil
}

// ValidHostname checks Hostname=: dot-separated labels of letters, digits
// and '-', each 1-63 characters, at most 64 in total (HOST_NAME_MAX).
func ValidHostname(h string) error {
	if len(h) > maxNameLen {
		return fmt.Errorf("hostname is %d characters long; the limit is %d", len(h), maxNameLen)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return errors.New("hostname labels between dots must be 1 to 63 characters long")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("hostname label %q starts or ends with '-'", label)
		}
		for _, r := range label {
			if !((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-') {
				return fmt.Errorf("hostname contains %q; only letters, digits, '-' and '.' are allowed", r)
			}
		}
	}
	return nil
}

// ValidBind checks a user's bind: absolute clean paths, not over or under
// what the machine and sbx need for themselves.
func ValidBind(b layout.Bind) error {
	guest := b.Target()
	for _, p := range []string{b.Host, guest} {
		if !strings.HasPrefix(p, "/") || cleanPath(p) != p {
			return fmt.Errorf("bind path %q is not an absolute, clean path", p)
		}
	}
	for _, f := range layout.ReservedGuestPaths {
		if guest == f {
			return errors.New("cannot bind over " + guest + " in the machine")
		}
	}
	for _, t := range layout.ReservedGuestTrees {
		if strings.HasPrefix(guest, t+"/") {
			return errors.New("cannot bind under " + t + " in the machine")
		}
	}
	return nil
}
