//go:build e2e

package e2e

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// TestRunExitStatus: sbx run exits as the command did.
func TestRunExitStatus(t *testing.T) {
	cases := []struct {
		cmd       string
		code      int
		errSubstr string
	}{
		{"sbx run true", 0, ""},
		{"sbx run false", 1, ""},
		{"sbx run sh -c 'exit 2'", 2, ""},
		{"sbx run sh -c 'exit 42'", 42, ""},
		{"sbx run sh -c 'exit 255'", 255, ""},
		{"sbx run sh -c 'kill -INT $$'", 130, ""},
		{"sbx run sh -c 'kill -KILL $$'", 137, ""},
		{"sbx run sh -c 'kill -TERM $$'", 143, ""},
		{"sbx run no-such-command", 127, "no-such-command: command not found"},
		{"sbx run /etc/hostname", 126, "/etc/hostname"},
		{"sbx run -C /nonexistent true", 125, "sbx:"},
		{"sbx run", 2, "no command"},
	}
	for _, c := range cases {
		_, errOut, code := inShared(t, c.cmd)
		if code != c.code || !strings.Contains(errOut, c.errSubstr) {
			t.Errorf("%s: exit %d (want %d), stderr %q (want %q in it)", c.cmd, code, c.code, errOut, c.errSubstr)
		}
	}
}

// TestRunStreams: no terminal involved — separate, exact, complete streams.
func TestRunStreams(t *testing.T) {
	out, errOut, code := inShared(t, `sbx run sh -c 'echo out; echo err >&2; echo out2'`)
	if code != 0 || out != "out\nout2\n" || errOut != "err\n" {
		t.Errorf("stdout %q, stderr %q, exit %d", out, errOut, code)
	}

	// 100 MiB of random bytes through stdin and stdout, byte-exact.
	script := `set -e
head -c 104857600 /dev/urandom > big
sbx run cat < big | cmp - big && echo same-cat
sbx run sh -c 'cat big' | cmp - big && echo same-file
rm -f big`
	if out, errOut, code := inShared(t, script); code != 0 || out != "same-cat\nsame-file\n" {
		t.Errorf("100 MiB: exit %d %q %s", code, out, errOut)
	}

	// 1,000 quick runs lose nothing at exit.
	start := time.Now()
	out, errOut, code = inShared(t, `for i in $(seq 1000); do sbx run echo "$i" || exit 1; done > runs && seq 1000 | cmp - runs && echo all; rm -f runs`)
	record("1000 × sbx run echo (sequential, total)", time.Since(start))
	if code != 0 || out != "all\n" {
		t.Errorf("1000 runs: exit %d %q %s", code, out, errOut)
	}

	// stdin EOF reaches the command promptly.
	start = time.Now()
	out, _, code = inShared(t, `printf 'a\nb\n' | timeout 10 sbx run wc -l`)
	if code != 0 || strings.TrimSpace(out) != "2" || time.Since(start) > 5*time.Second {
		t.Errorf("wc -l: exit %d, %q after %s", code, out, time.Since(start))
	}
	out, _, code = inShared(t, `sbx run cat </dev/null; echo "rc=$?"`)
	if out != "rc=0\n" {
		t.Errorf("cat </dev/null: %q (exit %d)", out, code)
	}
}

// lspServer is a language-server-like loop: Content-Length framed JSON
// requests in, framed responses out, until stdin closes.
const lspServer = `import sys, json
inp, out = sys.stdin.buffer, sys.stdout.buffer
while True:
    line = inp.readline()
    if not line:
        break
    n = int(line.split(b":")[1])
    inp.readline()
    req = json.loads(inp.read(n))
    body = json.dumps({"jsonrpc": "2.0", "id": req["id"], "result": req["params"]["text"].upper()}).encode()
    out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    out.flush()
sys.stderr.write("bye\n")
`

// TestRunJSONRPC: a long-lived stdio exchange both ways, like an editor
// talking to a language server through sbx run.
func TestRunJSONRPC(t *testing.T) {
	shared(t)
	cmd := host.CommandSpec(testCtx(t), testhost.Spec{User: alice, Dir: sharedDir,
		Argv: []string{"sbx", "run", "python3", "-c", lspServer}})
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	for i, text := range []string{"hello", "über", strings.Repeat("x", 100000)} {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"echo","params":{"text":%q}}`, i, text)
		fmt.Fprintf(stdin, "Content-Length: %d\r\n\r\n%s", len(body), body)
		var n int
		header, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading response %d: %v (stderr %s)", i, err, stderr.String())
		}
		fmt.Sscanf(header, "Content-Length: %d", &n)
		r.ReadString('\n')
		resp := make([]byte, n)
		if _, err := io.ReadFull(r, resp); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf(`"id": %d, "result": %q`, i, strings.ToUpper(text))
		if !strings.Contains(string(resp), strings.ReplaceAll(want, `Ü`, `\u00dc`)) {
			t.Errorf("response %d: %.200s", i, resp)
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil || stderr.String() != "bye\n" {
		t.Errorf("server end: %v, stderr %q", err, stderr.String())
	}
}

// TestRunContext: environment, user, groups, directory.
func TestRunContext(t *testing.T) {
	name := shared(t)
	out, errOut, code := inShared(t, `FOO_LEAK=1 TERM=xterm-256color sbx run -e KEY=VAL -e 'SPACE=a b' env`)
	if code != 0 {
		t.Fatalf("env: %d %s", code, errOut)
	}
	for _, want := range []string{"KEY=VAL", "SPACE=a b", "FROM_SANDBOX=yes", "SBX_MACHINE=" + name, "SBX_PROJECT=" + sharedDir,
		"HOME=/home/alice", "USER=alice", "LOGNAME=alice", "TERM=xterm-256color", "PATH="} {
		if !strings.Contains(out, want) {
			t.Errorf("env inside lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FOO_LEAK") {
		t.Errorf("a host variable leaked in:\n%s", out)
	}
	if out, _, _ := inShared(t, "sbx run --root id -u"); out != "0\n" {
		t.Errorf("--root: id -u = %q", out)
	}
	if out, _, _ := inShared(t, "sbx run id -Gn"); !strings.Contains(out, "alice") || !strings.Contains(out, "sudo") {
		t.Errorf("groups inside: %q", out)
	}
	if out, _, _ := inShared(t, "mkdir -p sub/dir && cd sub/dir && sbx run pwd"); out != sharedDir+"/sub/dir\n" {
		t.Errorf("pwd in a subdirectory: %q", out)
	}
	// bob is not in group sbx: polkit refuses him, with the fix named.
	if _, errOut, code := as(t, bob, "cd /tmp && "+sbxPath+" stop "+name); code != 125 || !strings.Contains(errOut, "group sbx") {
		t.Errorf("bob (not in sbx) stopping the machine: exit %d, %s", code, errOut)
	}
	// Nor can he reach the agent: its directory is alice's alone.
	if out, _, code := as(t, bob, "ls /var/lib/sbx/machines/"+name+"/"); code == 0 {
		t.Errorf("bob can reach alice's agent socket: %s", out)
	}
}

// TestRunSignals: signals sent to sbx reach the command; killing sbx leaves
// nothing behind in the machine.
func TestRunSignals(t *testing.T) {
	shared(t)
	for _, sig := range []string{"TERM", "HUP", "INT", "QUIT"} {
		cmd := host.CommandSpec(testCtx(t), testhost.Spec{User: alice, Dir: sharedDir,
			Argv: []string{"sbx", "run", "sh", "-c", `trap 'echo got-` + sig + `; exit 3' ` + sig + `; echo ready; while :; do sleep 0.05; done`}})
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(stdout)
		if l, err := r.ReadString('\n'); l != "ready\n" {
			t.Fatalf("%s: %q %v", sig, l, err)
		}
		must(t, "root", "pkill -"+sig+" -u alice -x sbx")
		rest, _ := io.ReadAll(r)
		err := cmd.Wait()
		code := 0
		if err != nil {
			code = cmd.ProcessState.ExitCode()
		}
		if string(rest) != "got-"+sig+"\n" || code != 3 {
			t.Errorf("SIG%s to sbx: command printed %q, sbx exit %d (%v)", sig, rest, code, err)
		}
	}

	// SIGKILL to sbx (as when a terminal window is closed hard): the command
	// inside is ended too.
	cmd := host.CommandSpec(testCtx(t), testhost.Spec{User: alice, Dir: sharedDir,
		Argv: []string{"sbx", "run", "sh", "-c", "echo ready; exec sleep 7777"}})
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(stdout).ReadString('\n')
	must(t, "root", "pkill -KILL -u alice -x sbx")
	cmd.Wait()
	waitUntil(t, alice, fmt.Sprintf("cd %s && ! sbx run pgrep -f 'sleep 7777'", sh(sharedDir)), 15*time.Second)
}
