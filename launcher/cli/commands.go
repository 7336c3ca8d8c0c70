package cli

import (
	"flag"
	"fmt"
	"strings"
)

// commands is the whole command tree, in the order `sbx --help` lists it.
// Each command lives in a file of its own.
func commands() []*Command {
	return []*Command{
		// Project
		initCmd(), createCmd(), rebuildCmd(), runCmd(), shellCmd(), allowCmd(), denyCmd(), trustCmd(),
		// Machines
		startCmd(), stopCmd(), restartCmd(), statusCmd(), listCmd(), rmCmd(),
		snapshotCmd(), snapshotsCmd(), restoreCmd(), exportCmd(), importCmd(),
		loginCmd(), poweroffCmd(), rebootCmd(), terminateCmd(), killCmd(), enableCmd(), disableCmd(), gcCmd(), doctorCmd(),
		// Integration
		hookCmd(), completionCmd(), editorCmd(), shimCmd(), versionCmd(),
		// Internal
		agentCmd(), rootCmd(), completeCmd(), manCmd(), shimRunCmd(),
	}
}

// flagHelp renders a FlagSet's defaults for a Long help text.
func flagHelp(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		dash := "-"
		if len(f.Name) > 1 {
			dash = "--"
		}
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(&b, "  %s%s%s\n        %s\n", dash, f.Name, name, usage)
	})
	return b.String()
}

// commandGroups sorts the visible commands by Group, the groups in the
// order they first appear in commands() and the commands in theirs: the
// layout of the overview and of the manual page.
func commandGroups() (order []string, groups map[string][]*Command) {
	groups = map[string][]*Command{}
	for _, cmd := range commands() {
		if cmd.Hidden {
			continue
		}
		if _, ok := groups[cmd.Group]; !ok {
			order = append(order, cmd.Group)
		}
		groups[cmd.Group] = append(groups[cmd.Group], cmd)
	}
	return order, groups
}
