package builder

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sbxdev/sbx/launcher/layout"
	"github.com/sbxdev/sbx/launcher/nspawn"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// ExportArg is the argument of `sbx __root export`.
type ExportArg struct {
	Name     string // machine to export
	Compress string // "", "zstd" or "gzip"
}

// ImportArg is the argument of `sbx __root import`.
type ImportArg struct {
	Name string // machine name; empty: the name in the archive
	// Project is the directory the importing user named (--project, or
	// where they ran sbx import). The path recorded in the archive is only
	// reported, never bound: its author chose it.
	Project string
	User    User // the importing user, who will own the machine
}

// Validate re-checks the argument on the root side.
func (a *ExportArg) Validate() error {
	if !nameRE().MatchString(a.Name) {
		return fmt.Errorf("invalid machine name %q", a.Name)
	}
	if _, ok := compressorNamed(a.Compress); !ok && a.Compress != "" {
		return fmt.Errorf("unknown compression %q", a.Compress)
	}
	return nil
}

// Validate re-checks the argument on the root side.
func (a *ImportArg) Validate() error {
	u := a.User
	switch {
	case a.Name != "" && !nameRE().MatchString(a.Name):
		return fmt.Errorf("invalid machine name %q", a.Name)
	case !cleanAbs(a.Project):
		return fmt.Errorf("invalid project path %q", a.Project)
	case sandboxfile.CheckRoot(a.Project, u.Home) != nil:
		return sandboxfile.CheckRoot(a.Project, u.Home)
	case !userRE().MatchString(u.Name) || !userRE().MatchString(u.Group):
		return fmt.Errorf("invalid user or group name %q/%q", u.Name, u.Group)
	case u.UID <= 0 || u.GID < 0:
		return fmt.Errorf("machines are made for a non-root user; got uid %d", u.UID)
	case !filepath.IsAbs(u.Home) || !filepath.IsAbs(u.Shell):
		return fmt.Errorf("home %q and shell %q must be absolute", u.Home, u.Shell)
	}
	return validGroups(u.Groups)
}

func cleanAbs(p string) bool { return filepath.IsAbs(p) && filepath.Clean(p) == p && p != "/" }

// EncodeArg packs an ExportArg or ImportArg into one argument.
func EncodeArg(v any) (string, error) {
	b, err := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b), err
}

// decodeArg unpacks EncodeArg's output into v.
func decodeArg(arg string, v interface{ Validate() error }) error {
	b, err := base64.RawURLEncoding.DecodeString(arg)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("decoding the argument: %w", err)
	}
	return v.Validate()
}

// Export writes machine a.Name (settings and root filesystem) as an
// archive to the file the CLI passed as the unit's standard input.
func Export(ctx context.Context, a *ExportArg, r *Reporter) error {
	release, err := lockStopped(a.Name, "export", r)
	if err != nil {
		return err
	}
	defer release()
	settings, err := os.ReadFile(nspawn.Path(a.Name))
	if err != nil {
		return err
	}
	f, err := passedFile(true)
	if err != nil {
		return err
	}
	defer f.Close()
	img := ImageDir(a.Name)
	total, _ := treeSize(ctx, img) // best effort: progress without a total otherwise
	p := pipeline{producer: tarCreate(img), stdout: f}
	what := "tar"
	if comp, ok := compressorNamed(a.Compress); ok {
		if err := needTool(comp.Name); err != nil {
			return err
		}
		p.consumer, what = comp.Pack, "tar, "+comp.Name
	}
	r.Phase(fmt.Sprintf("Exporting %s (%s)", a.Name, what))
	m := newMeter(r, "exported", total)
	p.filter = exportFilter(a.Name, settings, m)
	err = p.run(ctx)
	m.finish()
	if err != nil {
		return fmt.Errorf("exporting %s: %w", a.Name, err)
	}
	return nil
}

// Import makes a machine from the archive the CLI passed as the unit's
// standard input. The
// archive's entries are checked before tar sees them; the tree is
// unpacked into a hidden build directory and renamed into place only
// when complete, owned by the importing user.
func Import(ctx context.Context, a *ImportArg, r *Reporter) error {
	f, err := passedFile(false)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	m := newMeter(r, "read", size)
	in := bufio.NewReaderSize(m.reader(f), 1<<16)
	p := pipeline{stdin: in}
	magic, _ := in.Peek(4) // a short file fails as a tar below
	switch {
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		p.producer = zstdTool.Unpack
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		p.producer = gzipTool.Unpack
	}
	if p.producer != nil {
		if err := needTool(p.producer[0]); err != nil {
			return err
		}
	}
	var name string
	p.filter = func(_ io.Writer, src io.Reader) error {
		var err error
		name, err = importArchive(ctx, a, tar.NewReader(src), r)
		return err
	}
	err = p.run(ctx)
	m.finish()
	if err != nil {
		return err
	}
	r.Send(Event{Result: &Result{Machine: name}})
	return nil
}

// importArchive reads the settings entry, then unpacks and adopts the tree.
func importArchive(ctx context.Context, a *ImportArg, tr *tar.Reader, r *Reporter) (string, error) {
	oldName, settings, err := readSettingsEntry(tr)
	if err != nil {
		return "", err
	}
	src, err := parseExported(settings)
	if err != nil {
		return "", err
	}
	name := cmp.Or(a.Name, oldName)
	release, err := lockMachine(name, r)
	if err != nil {
		return "", err
	}
	defer release()
	for _, p := range []string{nspawn.Path(name), ImageDir(name), ImageDir(name) + ".raw"} {
		if _, err := os.Lstat(p); err == nil {
			return "", failf(125, "import it under another name: --name NEW", "a machine named %s exists already (%s)", name, p)
		}
	}
	build := buildDir(name)
	if err := removeTree(build); err != nil {
		return "", fmt.Errorf("removing a stale build: %w", err)
	}
	if err := newTreeDir(build); err != nil {
		return "", err
	}
	r.Phase(fmt.Sprintf("Unpacking %s as machine %s", oldName, name))
	err = pipeline{
		filter:   func(dst io.Writer, _ io.Reader) error { return copyChecked(tr, dst) },
		consumer: tarExtract(build),
	}.run(ctx)
	if err == nil && ctx.Err() == nil {
		if err = adopt(ctx, a, name, oldName, src, build, r); err != nil && !errors.As(err, new(*stepError)) {
			err = archiveErrorf("the archive's tree cannot be made a machine here: %v", err)
		}
	}
	if err != nil || ctx.Err() != nil {
		removeTree(build) // best effort: the next create or import removes it too
		return "", cmp.Or(ctx.Err(), err)
	}
	return name, nil
}

// exported is what import keeps from the archive's settings file.
type exported struct {
	Meta       nspawn.Meta
	Hostname   string
	ExtraBinds int // Bind= lines besides the project, the binary and /run/sbx
}

var hostnameRE = lazyRegexp(`^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$`)

// parseExported reads and checks an archived settings file. Only the
// values sbx itself writes are taken over; the file is written anew, so
// no other directive of a foreign file reaches this host's systemd.
func parseExported(settings []byte) (*exported, error) {
	meta, err := nspawn.ParseMeta(settings)
	if err != nil {
		return nil, archiveErrorf("the archive's settings are not sbx's: %v", err)
	}
	e := &exported{Meta: meta}
	binds := 0
	for _, line := range strings.Split(string(settings), "\n") {
		if v, ok := strings.CutPrefix(line, "Hostname="); ok {
			e.Hostname = v
		}
		if strings.HasPrefix(line, "Bind=") || strings.HasPrefix(line, "BindReadOnly=") {
			binds++
		}
	}
	e.ExtraBinds = max(0, binds-3)
	switch {
	case meta.Distribution != "debian" && meta.Distribution != "ubuntu":
		return nil, archiveErrorf("unknown distribution %q in the archive", meta.Distribution)
	case !releaseRE().MatchString(meta.Release):
		return nil, archiveErrorf("invalid release %q in the archive", meta.Release)
	case !cleanAbs(meta.Project):
		return nil, archiveErrorf("invalid project path %q in the archive", meta.Project)
	case e.Hostname != "" && !hostnameRE().MatchString(e.Hostname):
		return nil, archiveErrorf("invalid hostname %q in the archive", e.Hostname)
	}
	return e, nil
}

// adopt makes the unpacked tree this host's machine name: a new machine
// id, the importing user inside and as the agent's owner, the hostname
// following the new name, and settings written for this host that bind
// the project the user named. Every path is resolved inside the tree.
func adopt(ctx context.Context, a *ImportArg, name, oldName string, src *exported, build string, r *Reporter) error {
	r.Phase("Making it machine " + name + " of " + a.User.Name)
	hostname := src.Hostname
	if hostname == "" || hostname == oldName {
		hostname = name
	}
	project := a.Project
	s := &Spec{Name: name, Project: project, User: a.User, Hostname: hostname, Private: src.Meta.Private}
	t, err := openTree(build)
	if err != nil {
		return err
	}
	defer t.Close()
	conf, err := ownedAgentConf(t, a.User.UID)
	if err != nil {
		return err
	}
	files := []struct {
		path, content string
		mode          os.FileMode
	}{
		{"etc/machine-id", "", 0o444}, // a copy must not share the original's id
		{"etc/sbx/agent.conf", conf, 0o644},
	}
	if hostname != src.Hostname {
		files = append(files, []struct {
			path, content string
			mode          os.FileMode
		}{{"etc/hostname", hostname + "\n", 0o644}, {"etc/hosts", hostsFile(hostname), 0o644}}...)
	}
	for _, f := range files {
		if err := t.writeFile(f.path, []byte(f.content), f.mode, 0, 0); err != nil {
			return err
		}
	}
	if err := addUserTree(s, t, r); err != nil {
		return err
	}
	if err := ensureRuntimeDir(s); err != nil {
		return err
	}
	meta := src.Meta
	meta.Project, meta.Owner = project, a.User.UID
	meta.Applied = importedRecord(meta.Applied, hostname)
	err = nspawn.Write(name, nspawn.Settings{
		Meta: meta, Hostname: hostname, Private: src.Meta.Private,
		Binds: layout.StandardBinds(name, project),
	})
	if err != nil {
		return err
	}
	if err := os.Rename(build, ImageDir(name)); err != nil {
		os.Remove(nspawn.Path(name)) // best effort: no settings without a tree
		return fmt.Errorf("moving the machine into place: %w", err)
	}
	if src.Meta.Project != project {
		r.Send(Event{Info: fmt.Sprintf("the archive was made for the project %s; this machine binds %s (the directory you named)", src.Meta.Project, project)})
	}
	if src.ExtraBinds > 0 {
		r.Send(Event{Info: fmt.Sprintf("%d extra bind mount(s) of the exported machine were not imported; `sbx create` in the project adds those its .sandbox names", src.ExtraBinds)})
	}
	return nil
}

// ownedAgentConf is the tree's agent.conf with owner_uid set to uid and
// its other settings (stop_when_idle, say) kept. The archive's author
// wrote the file: any line that sets owner_uid, however spaced, is dropped.
func ownedAgentConf(t *tree, uid int) (string, error) {
	data, err := t.readFile("etc/sbx/agent.conf")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	return filterAgentConf(data, uid), nil
}

// filterAgentConf is ownedAgentConf on the file's content.
func filterAgentConf(data []byte, uid int) string {
	conf := fmt.Sprintf("owner_uid=%d\n", uid)
	for _, line := range strings.Split(string(data), "\n") {
		key, _, _ := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if strings.TrimSpace(line) == "" || key == "owner_uid" || strings.ContainsAny(line, "\x00\r") {
			continue
		}
		conf += line + "\n"
	}
	return conf
}
