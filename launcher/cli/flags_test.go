package cli

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestFlagsAnywhere: flags may follow operands (sbx rm NAME --force) up to
// "--"; in run, everything after the first operand is the command's.
func TestFlagsAnywhere(t *testing.T) {
	cases := []struct {
		args      string
		stop      bool
		operands  []string
		force     bool
		name, dir string
	}{
		{"NAME --force", false, []string{"NAME"}, true, "", ""},
		{"--force NAME", false, []string{"NAME"}, true, "", ""},
		{"FILE --name n OTHER", false, []string{"FILE", "OTHER"}, false, "n", ""},
		{"A -- --force B", false, []string{"A", "--force", "B"}, false, "", ""},
		{"-C -- A --force", false, []string{"A"}, true, "", "--"},
		{"- --name n", false, []string{"-"}, false, "n", ""},
		{"make --force -C x", true, []string{"make", "--force", "-C", "x"}, false, "", ""},
		{"-C d ls -l", true, []string{"ls", "-l"}, false, "", "d"},
	}
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		force := fs.Bool("force", false, "")
		name := fs.String("name", "", "")
		dir := fs.String("C", "", "")
		got, err := parseFlags(fs, strings.Fields(c.args), c.stop)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(got, c.operands) || *force != c.force || *name != c.name || *dir != c.dir {
			t.Errorf("%q: operands %q force %v name %q dir %q; want %q %v %q %q",
				c.args, got, *force, *name, *dir, c.operands, c.force, c.name, c.dir)
		}
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := parseFlags(fs, []string{"NAME", "--nope"}, false); err == nil {
		t.Errorf("an unknown flag after an operand is accepted")
	}
}

// TestEveryCommandTakesFlagsAfterOperands walks the tree: each command
// that is not run-like parses its flags after an operand.
func TestEveryCommandTakesFlagsAfterOperands(t *testing.T) {
	for _, cmd := range commands() {
		if takesCommand(cmd) {
			if cmd.Name != "run" && !cmd.Hidden {
				t.Errorf("%s stops flag parsing at its first operand", cmd.Name)
			}
			continue
		}
		fs := newFlagSet(cmd)
		fs.VisitAll(func(f *flag.Flag) {
			arg := "--" + f.Name
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				arg += "=" + f.Value.String()
			}
			fs2 := newFlagSet(cmd)
			ops, err := parseFlags(fs2, []string{"OPERAND", arg}, takesCommand(cmd))
			if err != nil || !reflect.DeepEqual(ops, []string{"OPERAND"}) {
				t.Errorf("sbx %s OPERAND %s: operands %q, %v", cmd.Name, arg, ops, err)
			}
		})
	}
}
