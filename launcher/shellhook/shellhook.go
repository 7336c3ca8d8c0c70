// Package shellhook renders the bash, zsh and fish hooks and completions.
// The shell code lives in real files (hooks/, completions/); only the path of
// the sbx binary is templated in, quoted for the shell that reads it, so a
// path with spaces or quotes cannot run anything.
package shellhook

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/sbxdev/sbx/completions"
	"github.com/sbxdev/sbx/hooks"
)

// BinPlaceholder is the quoted word in the shell files that Render replaces
// with the binary's quoted path. Quoted, the files stay valid shell for
// shellcheck and for reading.
const BinPlaceholder = "'@SBX_BIN@'"

// Shell is one shell sbx integrates with.
type Shell interface {
	// Name is the shell's name as users type it: bash, zsh, fish.
	Name() string
	// Hook is the prompt hook with bin as the sbx binary to call.
	Hook(bin string) string
	// Completion is the completion script with bin as the sbx binary to call.
	Completion(bin string) string
	// Quote makes s one literal word for this shell.
	Quote(s string) string
}

type shell struct {
	name, hook, completion string
	quote                  func(string) string
}

func (s *shell) Name() string                 { return s.name }
func (s *shell) Quote(w string) string        { return s.quote(w) }
func (s *shell) Hook(bin string) string       { return render(s.hook, s.quote(bin)) }
func (s *shell) Completion(bin string) string { return render(s.completion, s.quote(bin)) }

func render(file, quotedBin string) string {
	return strings.ReplaceAll(file, BinPlaceholder, quotedBin)
}

// registry lists the supported shells in the order help texts name them.
var registry = []Shell{
	&shell{name: "bash", hook: hooks.Bash, completion: completions.Bash, quote: quotePOSIX},
	&shell{name: "zsh", hook: hooks.Zsh, completion: completions.Zsh, quote: quotePOSIX},
	&shell{name: "fish", hook: hooks.Fish, completion: completions.Fish, quote: quoteFish},
}

// Shells returns every supported shell.
func Shells() []Shell { return append([]Shell(nil), registry...) }

// Names returns the names of the supported shells.
func Names() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.Name()
	}
	return names
}

// Lookup returns the shell called exactly name.
func Lookup(name string) (Shell, error) {
	for _, s := range registry {
		if s.Name() == name {
			return s, nil
		}
	}
	return nil, fmt.Errorf("unsupported shell %q: sbx knows %s", name, strings.Join(Names(), ", "))
}

// DetectShell maps what a process or $SHELL calls a shell to the shell:
// a login shell's "-bash", a path such as "/usr/bin/zsh", or a versioned
// binary such as "zsh-5.9" or "bash5".
func DetectShell(s string) (Shell, error) {
	name := filepath.Base(strings.TrimSpace(s))
	name = strings.TrimPrefix(name, "-")
	if i := strings.IndexAny(name, "-0123456789."); i > 0 {
		name = name[:i]
	}
	return Lookup(name)
}

// quotePOSIX quotes for bash and zsh: single quotes, where nothing is
// special; a quote inside closes them, is escaped, and opens them again.
func quotePOSIX(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteFish quotes for fish: inside single quotes only \\ and \' are
// escapes.
func quoteFish(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, "'", `\'`) + "'"
}
