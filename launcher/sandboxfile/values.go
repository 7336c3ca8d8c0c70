package sandboxfile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// The keys whose value is stored as written once its validator (valid.go,
// run again on the root side) accepts it.
var (
	setName = setValid(ValidName, "use lower-case letters, digits and '-', e.g. Name=myproj",
		func(f *File) *string { return &f.Machine.Name })
	setDistribution = setValid(ValidDistribution, "Distribution= is debian or ubuntu",
		func(f *File) *string { return &f.Machine.Distribution })
	setRelease = setValid(ValidRelease, "use the codename in lower case, e.g. Release=trixie or Release=noble, not a version number",
		func(f *File) *string { return &f.Machine.Release })
	setMirror   = setValid(ValidMirror, "", func(f *File) *string { return &f.Machine.Mirror })
	setHostname = setValid(ValidHostname, "", func(f *File) *string { return &f.Machine.Hostname })
)

// setValid is the setter of a key checked by valid: a value it refuses is
// a bad value with hint ("" for the key's example); one it accepts is
// stored in the field of the file.
func setValid(valid func(string) error, hint string, field func(*File) *string) func(*parser, string) *valueError {
	return func(p *parser, v string) *valueError {
		if err := valid(v); err != nil {
			return bad(err.Error(), hint)
		}
		*field(p.f) = v
		return nil
	}
}

// addNames adds each space-separated name in v to list, once, after check
// accepts it: the list keys (Packages=, PassEnvironment=) may repeat a
// name, within a line and across lines.
func addNames(list *[]string, v string, check func(name string) *valueError) *valueError {
	for _, name := range strings.Fields(v) {
		if err := check(name); err != nil {
			return err
		}
		if !slices.Contains(*list, name) {
			*list = append(*list, name)
		}
	}
	return nil
}

func setPackages(p *parser, v string) *valueError {
	return addNames(&p.f.Machine.Packages, v, func(name string) *valueError {
		if i := strings.IndexAny(name, "=/:"); i >= 0 {
			return bad(fmt.Sprintf("%q: only package names are supported, not versions (=), releases (/) or architectures (:)", name),
				fmt.Sprintf("write Packages=%s", name[:i]))
		}
		if err := ValidPackage(name); err != nil {
			return bad(err.Error(),
				"package names are lower case letters, digits, '+', '-' and '.', separated by spaces")
		}
		return nil
	})
}

func setStopWhenIdle(p *parser, v string) *valueError {
	d, err := parseTimespan(v)
	if err != nil {
		return bad(err.Error(), "use a time span such as 30min, 1h, 90s or 1h30m; 0 or empty means never")
	}
	p.f.Machine.StopWhenIdle = d
	return nil
}

func setShell(p *parser, v string) *valueError {
	if !filepath.IsAbs(v) {
		return bad("relative path", "give the shell's absolute path inside the machine, e.g. Shell=/bin/bash")
	}
	p.f.Exec.Shell = filepath.Clean(v)
	return nil
}

func setEnvironment(p *parser, v string) *valueError {
	name, _, ok := strings.Cut(v, "=")
	if !ok {
		return bad("expected KEY=VALUE", "one assignment per line, e.g. Environment=EDITOR=vim")
	}
	if !envNameRE().MatchString(name) {
		return bad(fmt.Sprintf("%q is not a valid variable name", name), "names are letters, digits and '_', not starting with a digit")
	}
	// A later assignment of the same name replaces the earlier one, as in a shell.
	env := p.f.Exec.Environment
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	p.f.Exec.Environment = append(env, v)
	return nil
}

func setPassEnvironment(p *parser, v string) *valueError {
	return addNames(&p.f.Exec.PassEnvironment, v, func(name string) *valueError {
		if !envNameRE().MatchString(name) {
			return bad(fmt.Sprintf("%q is not a valid variable name", name),
				"list names only, separated by spaces, e.g. PassEnvironment=SSH_AUTH_SOCK TERM_PROGRAM")
		}
		return nil
	})
}

func setPrivate(p *parser, v string) *valueError {
	b, ok := parseBool(v)
	if !ok {
		return bad("not a boolean", "use yes or no (also true/false, 1/0, on/off)")
	}
	p.f.Network.Private = b
	return nil
}

// parseBool accepts systemd's boolean spellings.
func parseBool(v string) (value, ok bool) {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true", "t", "on":
		return true, true
	case "0", "no", "n", "false", "f", "off":
		return false, true
	}
	return false, false
}
