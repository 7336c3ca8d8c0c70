package cli

import "strings"

// shellQuote quotes s for a POSIX shell when it needs it, for hints that
// users copy and paste and for the shims' scripts. The one quoter of the
// CLI (the hooks quote in launcher/shellhook, per shell).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shellJoin quotes a command line (each word with shellQuote). Text from
// elsewhere still needs escaping before it is printed.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}
