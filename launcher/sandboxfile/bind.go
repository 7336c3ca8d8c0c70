package sandboxfile

import (
	"path/filepath"
	"strings"

	"github.com/sbxdev/sbx/launcher/layout"
)

// cleanPath is filepath.Clean, named for what the validators ask.
func cleanPath(p string) string { return filepath.Clean(p) }

func setBind(readOnly bool) func(p *parser, v string) *valueError {
	return func(p *parser, v string) *valueError {
		b, verr := parseBind(v, p.home)
		if verr != nil {
			return verr
		}
		b.ReadOnly = readOnly
		b.Line = p.line
		p.f.Files.Binds = append(p.f.Files.Binds, b)
		return nil
	}
}

// parseBind parses "host[:guest]" where "\:" is a colon inside a path and
// "\\" a backslash; "~" and "~/x" are expanded with home.
func parseBind(v, home string) (Bind, *valueError) {
	parts, verr := splitBind(v)
	if verr != nil {
		return Bind{}, verr
	}
	if len(parts) > 2 {
		return Bind{}, bad("too many ':'; sbx understands host[:guest] only", `write a ':' that is part of a path as '\:'`)
	}
	host, verr := bindPath(parts[0], home, "host")
	if verr != nil {
		return Bind{}, verr
	}
	guest := host
	if len(parts) == 2 {
		if guest, verr = bindPath(parts[1], home, "guest"); verr != nil {
			return Bind{}, verr
		}
	}
	b := Bind{Bind: layout.Bind{Host: host, Guest: guest}}
	if err := ValidBind(b.Bind); err != nil {
		return Bind{}, bad(err.Error(), "bind to a directory of its own, e.g. Bind=/srv/data:/mnt/data")
	}
	return b, nil
}

func splitBind(v string) ([]string, *valueError) {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			if i+1 >= len(v) || (v[i+1] != ':' && v[i+1] != '\\') {
				return nil, bad(`unknown escape; only '\:' (a colon) and '\\' (a backslash) are understood`, "")
			}
			i++
			cur.WriteByte(v[i])
		case ':':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String()), nil
}

// bindPath expands "~" and checks that the result is absolute.
func bindPath(p, home, which string) (string, *valueError) {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home == "" || !filepath.IsAbs(home) {
			return "", bad("cannot expand ~: the home directory is unknown", "write the absolute path")
		}
		p = home + p[1:]
	} else if strings.HasPrefix(p, "~") {
		return "", bad("~user is not supported", "write the absolute path")
	}
	if p == "" {
		return "", bad("empty "+which+" path", "")
	}
	if !filepath.IsAbs(p) {
		return "", bad("relative "+which+" path "+p, "use an absolute path or ~/…")
	}
	return filepath.Clean(p), nil
}
