package cli

import (
	"bytes"
	"regexp"
	"testing"
)

// unseen matches names of things a user of sbx does not have: the seed
// (the hand-written recipe sbx grew from) and the project's design and
// internal documents.
var unseen = regexp.MustCompile(`(?i)\bseed\b|\bseed's\b|design (doc|document)|DESIGN\.md|ARCHITECTURE\.md|STYLE\.md`)

// TestHelpNamesOnlyWhatUsersSee: no help text (the overview, every
// command's --help, every topic, the man page) points at something a user
// cannot look at.
func TestHelpNamesOnlyWhatUsersSee(t *testing.T) {
	texts := map[string]string{}
	var out bytes.Buffer
	printOverview(&out)
	texts["sbx --help"] = out.String()
	for _, cmd := range commands() {
		out.Reset()
		printHelp(&out, cmd)
		texts["sbx "+cmd.Name+" --help"] = out.String()
	}
	for name, topic := range helpTopicText {
		texts["sbx help "+name] = topic
	}
	texts["sbx __man"] = string(renderMan(t))
	for where, text := range texts {
		if m := unseen.FindString(text); m != "" {
			t.Errorf("%s mentions %q, which users do not have", where, m)
		}
	}
}
