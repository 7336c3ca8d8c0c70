//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sbxdev/sbx/tests/testhost"
)

// TestEditorVSCodeWrite: as alice, --write merges into the project's
// existing settings (keys and comments kept, her file mode kept), is
// idempotent, and the profile it adds really opens a terminal in the
// machine when started the way VS Code starts it (the command in the
// workspace folder).
func TestEditorVSCodeWrite(t *testing.T) {
	name := shared(t)
	existing := "{\n    // alice's own\n    \"editor.fontSize\": 15,\n    \"files.exclude\": {\"**/.git\": true},\n}\n"
	must(t, alice, fmt.Sprintf("cd %s && mkdir -p .vscode && printf '%%s' %s > .vscode/settings.json && chmod 600 .vscode/settings.json",
		sh(sharedDir), sh(existing)))
	out := must(t, alice, fmt.Sprintf("cd %s && mkdir -p deep/er && cd deep/er && sbx editor vscode --write", sh(sharedDir)))
	if !strings.Contains(out, "updated "+sharedDir+"/.vscode/settings.json") || !strings.Contains(out, "created "+sharedDir+"/.vscode/tasks.json") {
		t.Errorf("sbx editor vscode --write said:\n%s", out)
	}
	settings := must(t, alice, fmt.Sprintf("cd %s && cat .vscode/settings.json && stat -c 'mode=%%a owner=%%U' .vscode/settings.json .vscode/tasks.json", sh(sharedDir)))
	for _, want := range []string{"// alice's own", `"editor.fontSize": 15,`, `"files.exclude": {"**/.git": true},`,
		`"terminal.integrated.defaultProfile.linux": "sbx"`, `"args": ["shell"]`, "mode=600 owner=alice", "mode=644 owner=alice"} {
		if !strings.Contains(settings, want) {
			t.Errorf("after --write, no %q in:\n%s", want, settings)
		}
	}
	again := must(t, alice, fmt.Sprintf("cd %s && sbx editor vscode --write", sh(sharedDir)))
	if strings.Count(again, "already has sbx's settings") != 2 {
		t.Errorf("second --write changed something:\n%s", again)
	}

	// The profile as VS Code runs it: "sbx" "shell" in the workspace folder.
	tm, err := host.NewTmux(alice, 100, 30, "sh", "-c", "cd "+sh(sharedDir)+" && exec sbx shell")
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	line(t, tm, `echo "profile=$(hostname):$PWD"`)
	expect(t, tm, fmt.Sprintf(`profile=%s:%s`, regexp.QuoteMeta(name), regexp.QuoteMeta(sharedDir)))
	line(t, tm, "exit")
}

// TestVSCodeShellIntegration: with VS Code's shell integration mechanics
// loaded (a stand-in in launcher/editor/testdata that wraps PROMPT_COMMAND, sets a DEBUG
// trap, wraps PS1; zsh: precmd/preexec hooks), sourced before or after
// sbx's hook, cd into a trusted project still enters the machine, cd out
// of it comes back to the host shell at the new directory, $? survives, and
// VS Code's integration still runs at every prompt afterwards.
func TestVSCodeShellIntegration(t *testing.T) {
	name := shared(t)
	cases := []struct {
		shell   string
		argv    []string
		fixture string
	}{
		{"bash", []string{"bash", "--noprofile", "--norc", "-i"}, "vscode-integration.bash"},
		{"zsh", []string{"zsh", "-f", "-i"}, "vscode-integration.zsh"},
	}
	must(t, alice, "mkdir -p "+sh(sharedDir+"/deep"))
	for _, c := range cases {
		for _, order := range []string{"vscode-first", "sbx-first"} {
			t.Run(c.shell+"/"+order, func(t *testing.T) {
				tm, err := host.NewTmux(alice, 120, 40, c.argv...)
				if err != nil {
					t.Fatal(err)
				}
				defer tm.Close()
				vscode := "source " + srcDir + "/launcher/editor/testdata/" + c.fixture
				hook := fmt.Sprintf(`eval "$(sbx hook %s)"`, c.shell)
				first, second := vscode, hook
				if order == "sbx-first" {
					first, second = hook, vscode // what VS Code's injection does: rc file, then its own
				}
				line(t, tm, "PS1='$ '; cd /tmp; "+first+"; "+second+"; clear")
				line(t, tm, `echo "fx=$__fx_precmds"`)
				expect(t, tm, `fx=\d+`)

				line(t, tm, "cd "+sh(sharedDir))
				line(t, tm, `echo "in=$(hostname):$PWD:$SBX_MACHINE"`)
				expect(t, tm, fmt.Sprintf(`in=%s:%s:%s`, regexp.QuoteMeta(name), regexp.QuoteMeta(sharedDir), regexp.QuoteMeta(name)))

				line(t, tm, "clear; cd /var/tmp")
				hostPrompt(t, tm)
				line(t, tm, `echo "back=$(hostname):$PWD:${SBX_MACHINE-none}"`)
				expect(t, tm, `back=sbx-testhost:/var/tmp:none`)

				line(t, tm, "clear; false")
				line(t, tm, `echo "st=$? fx=$__fx_precmds/$__fx_preexecs"`)
				screen := expect(t, tm, `st=\d+ fx=\d+/\d+`)
				m := regexp.MustCompile(`st=(\d+) fx=(\d+)/(\d+)`).FindStringSubmatch(screen)
				if m[1] != "1" {
					t.Errorf("$? after false is %s, want 1", m[1])
				}
				line(t, tm, `true; true`)
				line(t, tm, `echo "fx2=$__fx_precmds/$__fx_preexecs"`)
				screen = expect(t, tm, `fx2=\d+/\d+`)
				m2 := regexp.MustCompile(`fx2=(\d+)/(\d+)`).FindStringSubmatch(screen)
				if atoi(m2[1]) <= atoi(m[2]) || atoi(m2[2]) <= atoi(m[3]) {
					t.Errorf("VS Code's integration stopped counting after the trip: before %s/%s, after %s/%s", m[2], m[3], m2[1], m2[2])
				}

				// Back into the project: entered again (not suppressed).
				line(t, tm, "clear; cd "+sh(sharedDir+"/deep"))
				line(t, tm, `echo "again=$(hostname)"`)
				expect(t, tm, `again=`+regexp.QuoteMeta(name))
				line(t, tm, "clear; exit")
				hostPrompt(t, tm)
				line(t, tm, `echo "exited=$(hostname):$PWD"`)
				expect(t, tm, `exited=sbx-testhost:`+regexp.QuoteMeta(sharedDir+"/deep"))
			})
		}
	}
}

// hostPrompt waits for the host shell's bare "$ " prompt on a cleared
// screen: keys typed before it would go to the machine's shell as it ends.
func hostPrompt(t *testing.T, tm *testhost.Tmux) {
	t.Helper()
	expect(t, tm, `(?m)^\$[ \t]*$`)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// lsp is an LSP client over a process's stdio: Content-Length framing.
type lsp struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Reader
	id  int
}

func (l *lsp) send(msg map[string]any) {
	l.t.Helper()
	msg["jsonrpc"] = "2.0"
	body, err := json.Marshal(msg)
	if err != nil {
		l.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(l.in, "Content-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		l.t.Fatalf("writing to the language server: %v", err)
	}
}

func (l *lsp) request(method string, params any) int {
	l.id++
	l.send(map[string]any{"id": l.id, "method": method, "params": params})
	return l.id
}

func (l *lsp) notify(method string, params any) {
	l.send(map[string]any{"method": method, "params": params})
}

// lspMessage is what the tests read from a server.
type lspMessage struct {
	ID     *int            `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

func (l *lsp) read() (lspMessage, []byte, error) {
	n := -1
	for {
		h, err := l.out.ReadString('\n')
		if err != nil {
			return lspMessage{}, nil, err
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		if v, ok := strings.CutPrefix(h, "Content-Length: "); ok {
			n, _ = strconv.Atoi(v)
		}
	}
	if n < 0 {
		return lspMessage{}, nil, fmt.Errorf("a message without Content-Length")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(l.out, body); err != nil {
		return lspMessage{}, nil, err
	}
	var m lspMessage
	return m, body, json.Unmarshal(body, &m)
}

// next reads the next message or fails the test, showing the server's
// stderr.
func (l *lsp) next(stderr func() string) (lspMessage, []byte) {
	l.t.Helper()
	m, raw, err := l.read()
	if err != nil {
		l.t.Fatalf("reading from the language server: %v (stderr: %s)", err, stderr())
	}
	return m, raw
}

// fileURI is how an editor names a host file to a language server.
func fileURI(path string) string { return (&url.URL{Scheme: "file", Path: path}).String() }

// TestLanguageServerClangd: clangd installed in the machine, run by the
// host through `sbx run clangd` over stdio as an editor would: initialize,
// open a C file with an error: the diagnostics come back for its host path,
// and "go to definition" of a function in a header names the header's host
// path, so an editor on the host opens both as they are.
func TestLanguageServerClangd(t *testing.T) {
	shared(t)
	start := time.Now()
	// The root user in the machine installs it, as a Setup= line would.
	if out, errOut, code := inShared(t, "sbx run --root sh -c 'command -v clangd || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clangd; }' 2>&1"); code != 0 {
		t.Fatalf("installing clangd in the machine: exit %d\n%s%s", code, out, errOut)
	}
	record("apt-get install clangd in the machine", time.Since(start))

	dir := sharedDir + "/lsp demo"
	mainC, defsH := dir+"/main.c", dir+"/defs.h"
	mainText := "#include \"defs.h\"\nint main(void) { return answer() + missing_var; }\n"
	defsText := "int answer(void) { return 42; }\n"
	must(t, alice, fmt.Sprintf("mkdir -p %[1]s && printf '%%s' %[2]s > %[3]s && printf '%%s' %[4]s > %[5]s",
		sh(dir), sh(mainText), sh(mainC), sh(defsText), sh(defsH)))

	cmd := host.CommandSpec(testCtx(t), testhost.Spec{User: alice, Dir: dir,
		Argv: []string{"sbx", "run", "clangd", "--log=error"}})
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l := &lsp{t: t, in: stdin, out: bufio.NewReader(stdout)}
	initID := l.request("initialize", map[string]any{
		"processId": nil, "rootUri": fileURI(dir),
		"capabilities": map[string]any{"textDocument": map[string]any{
			"publishDiagnostics": map[string]any{"relatedInformation": true}}},
	})
	l.notify("initialized", map[string]any{})
	l.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": fileURI(mainC), "languageId": "c", "version": 1, "text": mainText}})

	var initialized bool
	var diags []string
	for diags == nil {
		m, raw := l.next(stderr.String)
		switch {
		case m.Method == "" && m.ID != nil && *m.ID == initID:
			if len(m.Error) > 0 || !strings.Contains(string(m.Result), "capabilities") {
				t.Fatalf("initialize: %s", raw)
			}
			initialized = true
		case m.Method == "textDocument/publishDiagnostics":
			var p struct {
				URI         string `json:"uri"`
				Diagnostics []struct {
					Message string `json:"message"`
				} `json:"diagnostics"`
			}
			if err := json.Unmarshal(m.Params, &p); err != nil {
				t.Fatal(err)
			}
			if u, err := url.Parse(p.URI); err != nil || u.Path != mainC {
				t.Errorf("diagnostics for %q, want the host path %q", p.URI, mainC)
			}
			diags = []string{}
			for _, d := range p.Diagnostics {
				diags = append(diags, d.Message)
			}
		}
	}
	if !initialized {
		t.Errorf("diagnostics came before the initialize response")
	}
	if len(diags) != 1 || !strings.Contains(diags[0], "missing_var") {
		t.Errorf("diagnostics %q, want the one about missing_var", diags)
	}
	record("clangd: start to first diagnostics (incl. install)", time.Since(start))

	// Go to definition of answer(): clangd inside finds it in defs.h, which
	// it read at the path the host has, and names it so.
	defID := l.request("textDocument/definition", map[string]any{
		"textDocument": map[string]any{"uri": fileURI(mainC)},
		"position":     map[string]any{"line": 1, "character": strings.Index(strings.Split(mainText, "\n")[1], "answer") + 2},
	})
	for {
		m, raw := l.next(stderr.String)
		if m.Method != "" || m.ID == nil || *m.ID != defID {
			continue
		}
		var locs []struct {
			URI       string `json:"uri"`
			TargetURI string `json:"targetUri"`
		}
		if err := json.Unmarshal(m.Result, &locs); err != nil || len(locs) == 0 {
			t.Fatalf("definition: %s (%v)", raw, err)
		}
		got := locs[0].URI + locs[0].TargetURI
		if u, err := url.Parse(got); err != nil || u.Path != defsH {
			t.Errorf("definition of answer() at %q, want the host path %q", got, defsH)
		}
		break
	}

	// Shut down as an editor does; clangd exits 0 and sbx passes that on.
	shutID := l.request("shutdown", nil)
	for {
		m, raw := l.next(stderr.String)
		if m.Method == "" && m.ID != nil && *m.ID == shutID {
			if len(m.Error) > 0 {
				t.Errorf("shutdown: %s", raw)
			}
			break
		}
	}
	l.notify("exit", nil)
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("sbx run clangd ended with %v (stderr: %s)", err, stderr.String())
	}
}
