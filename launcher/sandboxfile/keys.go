package sandboxfile

import "strings"

// valueError is a bad value: what is wrong and, when the key's example is
// not enough, how to fix it.
type valueError struct{ msg, hint string }

func bad(msg, hint string) *valueError { return &valueError{msg: msg, hint: hint} }

// keySpec describes one key: where it lives, whether it may repeat, and how
// its value is checked and stored.
type keySpec struct {
	section    string
	name       string
	repeatable bool
	emptyOK    bool
	example    string
	set        func(p *parser, v string) *valueError
}

// sections in the order the template and messages list them.
var sections = []string{"Machine", "Exec", "Files", "Network", "Host"}

// keys is every key sbx understands. Keys are case-sensitive, as systemd's.
var keys = []keySpec{
	{section: "Machine", name: "Name", example: "Name=myproj", set: setName},
	{section: "Machine", name: "Distribution", example: "Distribution=debian", set: setDistribution},
	{section: "Machine", name: "Release", example: "Release=trixie", set: setRelease},
	{section: "Machine", name: "Mirror", example: "Mirror=http://deb.debian.org/debian", set: setMirror},
	{section: "Machine", name: "Packages", repeatable: true, example: "Packages=build-essential git", set: setPackages},
	{section: "Machine", name: "Hostname", example: "Hostname=myproj", set: setHostname},
	{section: "Machine", name: "StopWhenIdle", emptyOK: true, example: "StopWhenIdle=30min", set: setStopWhenIdle},
	{section: "Exec", name: "Setup", repeatable: true, example: "Setup=sh -c 'curl -fsSL https://example.org/install.sh | sh'", set: setSetup},
	{section: "Exec", name: "Shell", example: "Shell=/bin/bash", set: setShell},
	{section: "Exec", name: "Environment", repeatable: true, example: "Environment=GOFLAGS=-mod=mod", set: setEnvironment},
	{section: "Exec", name: "PassEnvironment", repeatable: true, example: "PassEnvironment=SSH_AUTH_SOCK DISPLAY", set: setPassEnvironment},
	{section: "Files", name: "Bind", repeatable: true, example: "Bind=~/.cache/go-build", set: setBind(false)},
	{section: "Files", name: "BindReadOnly", repeatable: true, example: "BindReadOnly=~/.gitconfig", set: setBind(true)},
	{section: "Network", name: "Private", example: "Private=no", set: setPrivate},
	{section: "Host", name: "SSHAgent", example: "SSHAgent=yes", set: setHostBool(func(h *Host, b bool) { h.SSHAgentSet, h.SSHAgent = true, b })},
	{section: "Host", name: "GPGAgent", example: "GPGAgent=no", set: setGPGAgent},
	{section: "Host", name: "GitConfig", example: "GitConfig=no", set: setHostBool(func(h *Host, b bool) { h.GitConfigSet, h.GitConfig = true, b })},
	{section: "Host", name: "Display", example: "Display=yes", set: setHostBool(func(h *Host, b bool) { h.Display = b })},
	{section: "Host", name: "GPU", example: "GPU=yes", set: setHostBool(func(h *Host, b bool) { h.GPU = b })},
	{section: "Host", name: "Device", repeatable: true, example: "Device=/dev/fuse", set: setDevice},
}

func findKey(section, name string) *keySpec {
	for i := range keys {
		if keys[i].section == section && keys[i].name == name {
			return &keys[i]
		}
	}
	return nil
}

// sectionOf returns the section that has key name, or "".
func sectionOf(name string) string {
	for _, k := range keys {
		if k.name == name {
			return k.section
		}
	}
	return ""
}

func keyNames(section string) []string {
	var names []string
	for _, k := range keys {
		if k.section == section {
			names = append(names, k.name)
		}
	}
	return names
}

func isSection(name string) bool {
	for _, s := range sections {
		if s == name {
			return true
		}
	}
	return false
}

func sectionNames() []string { return sections }

func sectionList() string { return "[" + strings.Join(sections, "], [") + "]" }

// closest returns the candidate nearest to s (case-insensitively, within a
// small edit distance), or "" when none is close enough to be a typo.
func closest(s string, candidates []string) string {
	best, bestDist := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := 2
	if len(s) > 6 {
		limit = 3
	}
	if bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
