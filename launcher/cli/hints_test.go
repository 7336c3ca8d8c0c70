package cli

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sbxdev/sbx/launcher/hint"
)

// mention is "sbx WORD ..." as a hint or a help text writes it.
var mention = regexp.MustCompile("(?:^|[\\s`'\"(:])sbx ((?:[^\\s`'\"(),;.:]+ ?)+)")

// prose are words that follow "sbx" in sentences about sbx, not commands.
var prose = map[string]bool{"as": true, "is": true, "itself": true, "needs": true, "will": true, "runs": true,
	"gives": true, "called": true, "binary": true, "machine": true, "machines": true, "and": true, "in": true,
	"with": true, "command": true, "reads": true, "ran": true, "prints": true, "only": true, "knows": true,
	"agent": true, "terminal": true, "profile": true, "are": true, "st": true, "did": true, "can": true,
	"does": true, "has": true, "keeps": true, "makes": true, "uses": true, "sees": true, "sets": true,
	"was": true, "writes": true, "first": true, "already": true, "then": true, "to": true, "for": true,
	"run's": true, "cannot": true, "could": true, "should": true, "would": true, "itself,": true, "user": true,
	"users": true, "group": true, "hook's": true, "commands": true, "COMMAND": true, "tells": true,
	"owns": true, "starts": true, "stops": true, "asks": true, "passes": true, "finds": true, "lets": true,
	"put": true, "said": true, "says": true, "tries": true, "waits": true, "wrote": true, "made": true,
	"may": true, "must": true, "operation": true, "never": true, "not": true, "a": true, "the": true, "on": true, "of": true,
}

// checkMention checks one "sbx ..." text against the command tree: the
// command exists, its flags exist, and every placeholder (NAME, DIR, ...)
// is one its synopsis or a flag of it has. It returns what is wrong, or "".
func checkMention(words []string, strict bool) string {
	if len(words) == 0 || strings.Contains(words[0], "%") {
		return ""
	}
	if words[0] == "help" || words[0] == "--help" || words[0] == "-h" || words[0] == "COMMAND" || words[0] == "-V" || words[0] == "--version" {
		return ""
	}
	cmd := lookup(words[0])
	if cmd == nil && strings.HasPrefix(words[0], "-") && !strict {
		return "" // not a command line (fish's "complete -c sbx -f")
	}
	if cmd == nil {
		if strict && !prose[words[0]] || !prose[words[0]] && regexp.MustCompile(`^[a-z_-]+$`).MatchString(words[0]) && len(words) > 1 && (strings.HasPrefix(words[1], "-") || isPlaceholder(words[1])) {
			return "no command " + strconv.Quote(words[0])
		}
		return ""
	}
	fset := newFlagSet(cmd)
	values := map[string]bool{}
	fset.VisitAll(func(f *flag.Flag) {
		if name, _ := flag.UnquoteUsage(f); name != "" {
			values[name] = true
		}
	})
	for _, w := range words[1:] {
		if strings.Contains(w, "%") {
			break
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 && w != "--" {
			name, _, _ := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if name != "help" && name != "h" && fset.Lookup(name) == nil {
				return "sbx " + cmd.Name + " has no flag " + w
			}
			continue
		}
		if takesCommand(cmd) {
			// COMMAND's own words (or an internal command's); NAME there
			// would be a machine, which run does not take.
			if map[string]bool{"NAME": true, "[NAME]": true, "SNAP": true, "FILE": true}[w] && !cmd.Hidden {
				return "sbx " + cmd.Name + " takes COMMAND, not " + w + " (usage: sbx " + cmd.Name + " " + cmd.Args + ")"
			}
			break
		}
		if isPlaceholder(w) {
			p := strings.Trim(w, "[]…")
			p = strings.TrimSuffix(p, "...")
			choice := strings.Contains(cmd.Args, "|") && !strings.Contains(cmd.Args, p) // "SHELL" for bash|zsh|fish
			if !choice && !regexp.MustCompile(`\b`+regexp.QuoteMeta(p)+`\b`).MatchString(cmd.Args) && !values[p] {
				return "sbx " + cmd.Name + " takes no " + p + " (usage: sbx " + cmd.Name + " " + cmd.Args + ")"
			}
		}
	}
	return ""
}

func isPlaceholder(w string) bool {
	return regexp.MustCompile(`^\[?[A-Z][A-Z_]+\]?(\.\.\.)?$`).MatchString(w)
}

func mentions(s string) [][]string {
	var out [][]string
	for _, m := range mention.FindAllStringSubmatch(s, -1) {
		out = append(out, strings.Fields(m[1]))
	}
	return out
}

// TestHintsNameRealCommands reads every string in sbx's Go sources and
// checks each "sbx WORD ..." in it against the command tree; hints (the
// texts passed to WithHint, failf and the like) must name real commands.
func TestHintsNameRealCommands(t *testing.T) {
	root := filepath.Join("..", "..")
	checked := 0
	err := filepath.WalkDir(filepath.Join(root, "launcher"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		// Strings given to the functions that make hints and errors are
		// checked strictly: any word after "sbx" must be a command.
		hints := map[token.Pos]bool{}
		markHint := func(e ast.Expr) {
			ast.Inspect(e, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok {
					hints[lit.Pos()] = true
				}
				return true
			})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				name := ""
				switch fn := x.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if map[string]bool{"WithHint": true, "failf": true, "Usagef": true, "Errorf": true}[name] {
					for _, a := range x.Args {
						markHint(a)
					}
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && (k.Name == "Hint" || k.Name == "Fix") {
					markHint(x.Value)
				}
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, m := range mentions(s) {
				checked++
				if bad := checkMention(m, hints[lit.Pos()]); bad != "" {
					t.Errorf("%s: %q: %s", fset.Position(lit.Pos()), "sbx "+strings.Join(m, " "), bad)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The shell hooks, completions and the docs name commands too.
	var files []string
	for _, g := range []string{"hooks/*", "completions/*", "docs/*.md", "README.md"} {
		m, _ := filepath.Glob(filepath.Join(root, g))
		files = append(files, m...)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil || strings.HasSuffix(path, ".go") {
			continue
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, m := range mentions(line) {
				checked++
				if bad := checkMention(m, false); bad != "" {
					t.Errorf("%s:%d: %q: %s", path, i+1, "sbx "+strings.Join(m, " "), bad)
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d mentions of sbx commands found in the sources: is the scan broken?", checked)
	}
}

// TestRuntimeHintsNameRealCommands checks the hints built at run time
// for each command (the "name a machine: sbx CMD NAME" kind) the same way.
func TestRuntimeHintsNameRealCommands(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range commands() {
		c := &Ctx{Cmd: cmd, Env: Env{"HOME": filepath.Join(dir, "home")}}
		_, err := c.loadProject(dir)
		h := hint.Of(err)
		if h == "" {
			t.Fatalf("sbx %s outside a project: %v, want an error with a hint", cmd.Name, err)
		}
		for _, m := range mentions(h) {
			if bad := checkMention(m, true); bad != "" {
				t.Errorf("sbx %s hints %q: %s", cmd.Name, "sbx "+strings.Join(m, " "), bad)
			}
		}
	}
}

func TestCheckMention(t *testing.T) {
	for text, bad := range map[string]bool{
		"sbx run NAME":           true,
		"sbx rm --force":         false,
		"sbx rm --forse":         true,
		"sbx frobnicate --x":     true,
		"sbx start NAME":         false,
		"sbx run make -j8":       false,
		"sbx init --force DIR":   false,
		"sbx snapshot rm SNAP":   false,
		"sbx export NAME FILE":   false,
		"sbx shell -C DIR":       false,
		"sbx shell NAME":         true,
		"sbx as your own user":   false,
		"sbx allow '/a b'":       false,
		"sbx import FILE NAME":   false,
		"sbx trust status DIR":   false,
		"sbx run --root apt-get": false,
	} {
		m := mentions(text)
		if len(m) != 1 {
			t.Fatalf("mentions(%q) = %q", text, m)
		}
		if got := checkMention(m[0], false) != ""; got != bad {
			t.Errorf("checkMention(%q) bad = %v, want %v", text, got, bad)
		}
	}
}
