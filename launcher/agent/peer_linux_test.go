package agent

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// asNobody runs the client as uid/gid 65534 from a copy of the test binary
// that user can execute.
func asNobody(t *testing.T, sock string, req Request) (int, string, string) {
	t.Helper()
	bin := filepath.Join(sharedDir(t), "client")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(dst, src)
	src.Close()
	dst.Close()
	cmd := helperCmd(t, bin, sock, req)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

func TestRefusesOtherUsers(t *testing.T) {
	sock, _ := startServer(t, 0)
	code, out, errs := asNobody(t, sock, Request{Argv: []string{"id"}, Dir: "/"})
	if code != StatusFailure || out != "" || !strings.Contains(errs, "uid 65534 may not use this machine: only its owner (uid 0) and root may") {
		t.Errorf("got %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestRunsAsTheConnectingUser(t *testing.T) {
	dir := t.TempDir()
	// A guest user database where nobody has a supplementary group.
	passwd, group := filepath.Join(dir, "passwd"), filepath.Join(dir, "group")
	os.WriteFile(passwd, []byte("root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n"), 0o644)
	os.WriteFile(group, []byte("root:x:0:\nnogroup:x:65534:\nextra:x:4242:someone,nobody\nother:x:4243:someone\n"), 0o644)
	sock, _ := startServer(t, 65534, func(s *Server) { s.PasswdFile, s.GroupFile = passwd, group })
	code, out, errs := asNobody(t, sock, sh(`echo "$(id -u) $(id -g) $(id -G) $HOME $USER $LOGNAME $SHELL"; pwd`))
	if want := "65534 65534 65534 4242 /tmp nobody nobody /bin/sh\n/tmp\n"; code != 0 || out != want {
		t.Errorf("as owner: %d, %q, stderr %q; want %q", code, out, errs, want)
	}
	req := sh(`echo "$(id -u) $(id -G) $HOME"`)
	req.Root = true
	req.Dir = "/"
	code, out, errs = asNobody(t, sock, req)
	if code != 0 || out != "0 0 /root\n" {
		t.Errorf("as root: %d, %q, stderr %q", code, out, errs)
	}
}
