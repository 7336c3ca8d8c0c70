//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestQuickStart is README's quick start, typed literally in a small C
// project with a Makefile: `sbx init && sbx run make` exits 0 and builds a
// program that runs in the machine. Then, in that machine (which has no
// bc), `sbx run bc` exits 127 and names the package and the fix.
func TestQuickStart(t *testing.T) {
	dir := "/home/alice/src/myproj"
	must(t, alice, fmt.Sprintf(`set -e
mkdir -p %[1]s && cd %[1]s
printf '#include <stdio.h>\nint main(void) { puts("hello from the machine"); return 0; }\n' > hello.c
printf 'hello: hello.c\n\tcc -o hello hello.c\n' > Makefile`, sh(dir)))
	t.Cleanup(func() { asAlice(t, fmt.Sprintf("cd %s && sbx rm --force >/dev/null 2>&1", sh(dir))) })

	start := time.Now()
	out, errOut, code := asAlice(t, fmt.Sprintf("cd %s && sbx init && sbx run make </dev/null", sh(dir)))
	record("quick start: sbx init && sbx run make (cold, build-essential)", time.Since(start))
	if code != 0 {
		t.Fatalf("sbx init && sbx run make: exit %d\n--- stdout:\n%s\n--- stderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Makefile") || !strings.Contains(out, "build-essential") {
		t.Errorf("sbx init did not say what it chose and why:\n%s", out)
	}
	m := regexp.MustCompile(`\(machine (\S+), `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("sbx init did not name the machine:\n%s", out)
	}
	name := m[1]
	if !strings.Contains(out, "cc -o hello hello.c") {
		t.Errorf("make did not run the recipe:\n%s", out)
	}
	if got := must(t, alice, fmt.Sprintf("cd %s && test -x hello && sbx run ./hello", sh(dir))); got != "hello from the machine\n" {
		t.Errorf("the program built in the machine printed %q", got)
	}

	// A missing command: exit 127, the package that has it, and the fix.
	out, errOut, code = asAlice(t, fmt.Sprintf("cd %s && echo 1+1 | sbx run bc", sh(dir)))
	if code != 127 {
		t.Fatalf("sbx run bc in a machine without bc: exit %d, want 127\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"bc: command not found", "the Debian package bc", "Packages= in " + dir + "/.sandbox", "sbx allow", "apt-get install -y bc"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("sbx run bc: stderr lacks %q:\n%s", want, errOut)
		}
	}
	// The fix, done as the hint says: Packages=, sbx allow, run again.
	must(t, alice, fmt.Sprintf(`cd %s && sed -i 's/^Packages=\(.*\)$/Packages=\1 bc/' .sandbox && grep -q '^Packages=.* bc$' .sandbox && sbx allow >/dev/null`, sh(dir)))
	out, errOut, code = asAlice(t, fmt.Sprintf("cd %s && echo 1+1 | sbx run bc", sh(dir)))
	if code != 0 || out != "2\n" {
		t.Errorf("after the hint's fix, sbx run bc: exit %d, stdout %q\n%s", code, out, errOut)
	}
	// A 127 that the command itself returns is not about a missing program.
	_, errOut, code = asAlice(t, fmt.Sprintf("cd %s && sbx run sh -c 'exit 127'", sh(dir)))
	if code != 127 || strings.Contains(errOut, "Debian package") {
		t.Errorf("sbx run sh -c 'exit 127': exit %d, stderr %q (want 127 and no package hint)", code, errOut)
	}

	// Flags after operands: sbx rm NAME --force.
	if out, errOut, code := asAlice(t, "sbx rm "+name+" --force </dev/null"); code != 0 {
		t.Fatalf("sbx rm NAME --force: exit %d\n%s%s", code, out, errOut)
	}
	if out := must(t, alice, "sbx list --quiet"); strings.Contains(out, name) {
		t.Errorf("after sbx rm %s --force, sbx list still shows it:\n%s", name, out)
	}
}
