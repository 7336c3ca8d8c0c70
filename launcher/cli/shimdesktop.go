package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeDesktopShims gives GUI programs of the machine a desktop entry on
// the host: ~/.local/share/applications/sbx-MACHINE-APP.desktop, which
// starts the program's Exec= in the machine (through sbx __shim). The
// machine's .desktop file is read, never trusted: only its name, command
// and Terminal= are taken, and a command with characters outside a plain
// set is refused rather than quoted for a launcher.
func (c *Ctx) writeDesktopShims(apps []string) error {
	p, _, err := c.currentProject()
	if err != nil {
		return err
	}
	if !p.File.Host.Display {
		fmt.Fprintf(c.IO.Err, "sbx: Display= is off in %s: the program will not reach your display; add Display=yes under [Host]\n", p.File.Path)
	}
	dir := filepath.Join(c.dataHome(), "applications")
	return c.installShims(p, dir, apps, func(app string) (shimFile, error) {
		if !shimName(app) {
			return shimFile{}, Usagef("%q is not an application name (the .desktop file's name without .desktop)", printable(app))
		}
		data, err := c.captureInMachine(p, "cat", "/usr/share/applications/"+app+".desktop")
		if err != nil {
			return shimFile{}, WithHint(fmt.Errorf("reading %s.desktop in machine %s: %w", app, p.Name, err),
				"list them with: sbx run ls /usr/share/applications")
		}
		e, err := parseDesktop(data)
		if err != nil {
			return shimFile{}, fmt.Errorf("%s.desktop in machine %s: %w", app, p.Name, err)
		}
		path := filepath.Join(dir, "sbx-"+p.Name+"-"+app+".desktop")
		return shimFile{Command: app + ".desktop", Path: path, Content: desktopEntry(c.Self, p, app, e), Mode: 0o644,
			Taken: "remove it first", Said: fmt.Sprintf("%s starts %s in machine %s", path, printable(e.name), p.Name)}, nil
	})
}

func (c *Ctx) dataHome() string {
	if d := c.Env["XDG_DATA_HOME"]; filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(c.home(), ".local", "share")
}

// captureInMachine runs argv in p's machine (in the project) and returns
// its standard output.
func (c *Ctx) captureInMachine(p *project, argv ...string) ([]byte, error) {
	f, err := os.CreateTemp("", "sbx-capture-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	var errBuf bytes.Buffer
	cc := *c
	cc.IO = IO{Out: f, OutFile: f, Err: &errBuf}
	if err := cc.runProject(p, runOpts{Argv: argv, Dir: p.File.Root}); err != nil {
		if msg := strings.TrimSpace(errBuf.String()); msg != "" {
			return nil, errors.New(printable(msg))
		}
		return nil, err
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = out.ReadFrom(f)
	return out.Bytes(), err
}

type desktopApp struct {
	name     string
	exec     []string
	terminal bool
}

// parseDesktop reads the [Desktop Entry] group's Name=, Exec= and
// Terminal= (field codes such as %U are dropped).
func parseDesktop(data []byte) (desktopApp, error) {
	var e desktopApp
	group := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			group = line
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || group != "[Desktop Entry]" {
			continue
		}
		switch strings.TrimSpace(k) {
		case "Name":
			e.name = strings.TrimSpace(v)
		case "Terminal":
			e.terminal = strings.TrimSpace(v) == "true"
		case "Exec":
			for _, w := range strings.Fields(v) {
				if strings.HasPrefix(w, "%") {
					continue
				}
				if strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=,+@-") != "" {
					return e, fmt.Errorf("its Exec= has characters sbx does not pass on (%s); make a shim of the command instead: sbx shim COMMAND", printable(w))
				}
				e.exec = append(e.exec, w)
			}
		}
	}
	if len(e.exec) == 0 {
		return e, errors.New("it has no Exec= line in [Desktop Entry]")
	}
	if e.name == "" {
		e.name = e.exec[0]
	}
	return e, nil
}

// desktopEntry is the host's desktop file for app. Every word is plain
// (parseDesktop checked), the paths are quoted as the desktop entry
// specification says.
func desktopEntry(self string, p *project, app string, e desktopApp) string {
	name := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, printable(e.name))
	args := append([]string{desktopQuote(self), "__shim", desktopQuote(p.File.Root)}, e.exec...)
	return fmt.Sprintf("#!/usr/bin/env xdg-open\n%s desktop entry of %s in machine %s; remove with: sbx shim --rm %s.desktop\n"+
		"[Desktop Entry]\nType=Application\nName=%s (%s)\nExec=%s\nTerminal=%t\n",
		shimMark, app, p.Name, app, name, p.Name, strings.Join(args, " "), e.terminal)
}

// desktopQuote quotes an argument of Exec=: double quotes, with `"`, '`',
// '$' and '\' escaped, then '\' doubled for the string value and '%' as %%.
func desktopQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`).Replace(s)
	r = strings.ReplaceAll(r, `\`, `\\`)
	return `"` + strings.ReplaceAll(r, "%", "%%") + `"`
}
