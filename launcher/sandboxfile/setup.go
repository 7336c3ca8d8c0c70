package sandboxfile

import (
	"fmt"
	"strings"

	"github.com/mattn/go-shellwords"
)

// setupHint is the fix for anything that needs a shell: Setup= runs its
// command directly, so shell syntax must be asked for explicitly.
const setupHint = "Setup= runs one command without a shell; for shell syntax write Setup=sh -c '…'"

func setSetup(p *parser, v string) *valueError {
	argv, verr := splitCommand(v)
	if verr != nil {
		return verr
	}
	p.f.Exec.Setup = append(p.f.Exec.Setup, argv)
	return nil
}

// splitCommand splits a command line into argv the way a shell would split
// words, but refuses what only a shell could do (operators, expansions)
// instead of silently passing it on as literal text or dropping it.
func splitCommand(line string) ([]string, *valueError) {
	if tok := unquotedExpansion(line); tok != "" {
		return nil, bad(fmt.Sprintf("%s would not be expanded", tok), setupHint)
	}
	parser := shellwords.NewParser()
	parser.ParseBacktick = false
	parser.ParseEnv = false
	argv, err := parser.Parse(line)
	if err != nil {
		return nil, bad("unbalanced quotes, a trailing backslash, or a '(' or ')' outside quotes", setupHint)
	}
	if parser.Position >= 0 {
		return nil, bad(fmt.Sprintf("shell operator %q is not supported", operatorAt(line, parser.Position)), setupHint)
	}
	if len(argv) == 0 || argv[0] == "" {
		return nil, bad("empty command", "")
	}
	return argv, nil
}

// operatorAt returns the operator starting at rune index pos, with a
// leading file descriptor number ("2>") if there is one.
func operatorAt(line string, pos int) string {
	runes := []rune(line)
	if pos > len(runes) {
		return "?"
	}
	end := pos
	for end < len(runes) && runes[end] >= '0' && runes[end] <= '9' {
		end++
	}
	for end < len(runes) && strings.ContainsRune(";&|<>", runes[end]) {
		end++
	}
	if end == pos {
		return "?"
	}
	return string(runes[pos:end])
}

// unquotedExpansion returns the first `$NAME`, `${`, `$(` or backtick outside
// quotes, or "". Inside double quotes they are left alone: the usual
// Setup=sh -c "…" hands them to that shell, which expands them.
func unquotedExpansion(line string) string {
	var single, double, escaped bool
	runes := []rune(line)
	for i, r := range runes {
		switch {
		case escaped:
			escaped = false
		case single:
			single = r != '\''
		case r == '\\':
			escaped = true
		case r == '\'' && !double:
			single = true
		case r == '"':
			double = !double
		case double:
		case r == '`':
			return "`…`"
		case r == '$' && i+1 < len(runes):
			n := runes[i+1]
			switch {
			case n == '(' || n == '{':
				return "$" + string(n) + "…"
			case n == '_' || (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z') || (n >= '0' && n <= '9'):
				j := i + 1
				for j < len(runes) && (runes[j] == '_' || (runes[j] >= 'a' && runes[j] <= 'z') || (runes[j] >= 'A' && runes[j] <= 'Z') || (runes[j] >= '0' && runes[j] <= '9')) {
					j++
				}
				return string(runes[i:j])
			}
		}
	}
	return ""
}
