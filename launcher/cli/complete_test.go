package cli

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func completions(t *testing.T, what string, args ...string) []string {
	t.Helper()
	var b bytes.Buffer
	if err := writeCompletions(&b, what, args); err != nil {
		t.Fatalf("__complete %s %v: %v", what, args, err)
	}
	var words []string
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if w, _, _ := strings.Cut(l, "\t"); w != "" {
			words = append(words, w)
		}
	}
	return words
}

func has(words []string, w string) bool {
	for _, x := range words {
		if x == w {
			return true
		}
	}
	return false
}

// TestCompleteKnowsEveryCommand walks the whole tree: every visible command
// is offered, no hidden one is, and every flag of every command is.
func TestCompleteKnowsEveryCommand(t *testing.T) {
	offered := completions(t, "commands")
	for _, cmd := range commands() {
		if has(offered, cmd.Name) == cmd.Hidden {
			t.Errorf("command %q (hidden: %v) offered: %v", cmd.Name, cmd.Hidden, has(offered, cmd.Name))
		}
		flags := completions(t, "flags", cmd.Name)
		newFlagSet(cmd).VisitAll(func(f *flag.Flag) {
			want := "--" + f.Name
			if len(f.Name) == 1 {
				want = "-" + f.Name
			}
			if !has(flags, want) {
				t.Errorf("sbx %s %s not offered: %v", cmd.Name, want, flags)
			}
		})
		if !has(flags, "--help") {
			t.Errorf("sbx %s --help not offered", cmd.Name)
		}
	}
	if got := completions(t, "flags", ""); !has(got, "--help") || !has(got, "--version") {
		t.Errorf("sbx's own flags: %v", got)
	}
}

// TestCompleteArgs: what comes next is read from each command's synopsis,
// with its flags (and their values) told apart from its arguments.
func TestCompleteArgs(t *testing.T) {
	cases := []struct {
		typed []string
		want  string // the words, space-separated
	}{
		{[]string{"hook"}, "bash zsh fish"},
		{[]string{"completion"}, "bash zsh fish"},
		{[]string{"hook", "bash"}, ""},
		{[]string{"run"}, ":command"},
		{[]string{"run", "-e", "A=B"}, ":command"},
		{[]string{"run", "-e"}, ":files"}, // the value of -e
		{[]string{"run", "-e", "A=B", "make"}, ":after 2"},
		{[]string{"run", "--", "make", "-j"}, ":after 1"},
		{[]string{"trust"}, "list status"},
		{[]string{"trust", "status"}, ":dirs"},
		{[]string{"init"}, ":dirs"},
		{[]string{"shell"}, ""},
		{[]string{"no-such-command"}, ""},
	}
	for _, c := range cases {
		got := strings.Join(completions(t, "args", c.typed...), " ")
		if got != c.want {
			t.Errorf("__complete args %v = %q, want %q", c.typed, got, c.want)
		}
	}
	if help := completions(t, "args", "help"); !has(help, "run") || has(help, "__complete") {
		t.Errorf("sbx help offers %v", help)
	}
}

func TestPositionalSynopsis(t *testing.T) {
	cases := map[string]string{
		"[-e KEY=VAL]... [--root] [-C DIR] [--] COMMAND [ARG]...": "COMMAND [ARG]...",
		"[-C DIR] [--root]":     "",
		"[list | status [DIR]]": "[list | status [DIR]]",
		"[NAME]":                "[NAME]",
		"[--timeout D] NAME":    "NAME",
	}
	for in, want := range cases {
		if got := strings.Join(strings.Fields(positionalSynopsis(in)), " "); got != want {
			t.Errorf("positionalSynopsis(%q) = %q, want %q", in, got, want)
		}
	}
}
