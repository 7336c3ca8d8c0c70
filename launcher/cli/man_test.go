package cli

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var updateMan = flag.Bool("update-man", false, "rewrite docs/sbx.1 from the command tree")

func renderMan(t *testing.T) []byte {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main([]string{"__man"}, Env{}, IO{Out: &out, Err: &errOut}); code != 0 {
		t.Fatalf("sbx __man: exit %d: %s", code, errOut.String())
	}
	return out.Bytes()
}

// TestManPageUpToDate: the committed docs/sbx.1 is what `sbx __man`
// renders from the tree now.
func TestManPageUpToDate(t *testing.T) {
	page := renderMan(t)
	path := filepath.Join("..", "..", ManPath)
	if *updateMan {
		if err := os.WriteFile(path, page, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, page) {
		t.Errorf("%s is out of date with the command tree; regenerate it with:\n"+
			"    go run ./cmd/sbx __man > %s\n(or: go test ./launcher/cli -run TestManPageUpToDate -update-man)", ManPath, ManPath)
	}
}

// TestManPageRenders: groff reads the page without a warning, and the
// rendered text has every visible command with its flags and every help
// topic.
func TestManPageRenders(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Fatalf("groff is needed to check the man page (apt-get install groff): %v", err)
	}
	page := renderMan(t)
	lint := exec.Command("groff", "-man", "-ww", "-z")
	lint.Stdin = bytes.NewReader(page)
	if out, err := lint.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("groff warns about the page: %v\n%s", err, out)
	}
	render := exec.Command("groff", "-man", "-Tascii", "-P-cbou", "-rLL=200n")
	render.Stdin = bytes.NewReader(page)
	out, err := render.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	// Filled text may break lines anywhere a space was: compare words.
	flat := strings.Join(strings.Fields(text), " ")
	for _, cmd := range commands() {
		if cmd.Hidden {
			if strings.Contains(text, "sbx "+cmd.Name) {
				t.Errorf("hidden command %s is in the man page", cmd.Name)
			}
			continue
		}
		if !strings.Contains(flat, strings.Join(strings.Fields("sbx "+cmd.Name+" "+cmd.Args), " ")) {
			t.Errorf("no synopsis for %s in the man page", cmd.Name)
		}
		if !strings.Contains(flat, strings.Join(strings.Fields(capitalize(cmd.Short)), " ")) {
			t.Errorf("no description for %s in the man page", cmd.Name)
		}
		newFlagSet(cmd).VisitAll(func(f *flag.Flag) {
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			if !regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(dash+f.Name) + `\b`).MatchString(text) {
				t.Errorf("flag %s%s of %s is not in the man page", dash, f.Name, cmd.Name)
			}
		})
	}
	for name, topic := range helpTopicText {
		body := strings.Fields(topicBody(topic))
		if !strings.Contains(flat, strings.Join(body[:min(8, len(body))], " ")) {
			t.Errorf("help topic %s is not in the man page", name)
		}
	}
}

// TestRoffEscapes: text that would be roff requests or escapes stays text.
func TestRoffEscapes(t *testing.T) {
	cases := map[string]string{
		`.TH evil`:     `\&.TH evil`,
		`'br`:          `\&'br`,
		`a\b`:          `a\eb`,
		`--flag "x"`:   `\-\-flag \(dqx\(dq`,
		`plain text`:   `plain text`,
		`x .not-first`: `x .not\-first`,
	}
	for in, want := range cases {
		if got := roffLine(in); got != want {
			t.Errorf("roffLine(%q) = %q, want %q", in, got, want)
		}
	}
}
