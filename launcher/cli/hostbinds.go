package cli

import (
	"os"
	"path/filepath"

	"github.com/sbxdev/sbx/launcher/builder"
	"github.com/sbxdev/sbx/launcher/sandboxfile"
)

// x11Dir holds the X servers' sockets; bound whole, so a server started
// after the machine is reachable too.
const x11Dir = "/tmp/.X11-unix"

// hostBinds are the machine-level parts of [Host]: what the machine binds
// from the host when it starts. Only what exists now is bound (a missing
// source would stop the machine from starting).
func (c *Ctx) hostBinds(h sandboxfile.Host) []builder.Bind {
	var binds []builder.Bind
	if h.WantGitConfig() {
		home := c.home()
		if f := filepath.Join(home, ".gitconfig"); isRegular(f) {
			binds = append(binds, builder.Bind{Host: f, Guest: f, ReadOnly: true})
		}
		cfg := c.Env["XDG_CONFIG_HOME"]
		if !filepath.IsAbs(cfg) {
			cfg = filepath.Join(home, ".config")
		}
		if d := filepath.Join(cfg, "git"); isDir(d) {
			// Inside, git looks in ~/.config/git (XDG_CONFIG_HOME is not passed).
			binds = append(binds, builder.Bind{Host: d, Guest: filepath.Join(home, ".config", "git"), ReadOnly: true})
		}
	}
	if h.Display && isDir(x11Dir) {
		binds = append(binds, builder.Bind{Host: x11Dir, Guest: x11Dir, ReadOnly: true})
	}
	return binds
}

func isRegular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
