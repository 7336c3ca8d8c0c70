package cli

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// autoEnterEnabled reads the user's choice about entering machines on cd:
// SBX_AUTO_ENTER=0 in the environment, or auto_enter=no in
// $XDG_CONFIG_HOME/sbx/config, turns it off.
func autoEnterEnabled(env Env) bool {
	// Empty counts as unset, as in the hook: the config file decides.
	if v := env["SBX_AUTO_ENTER"]; v != "" {
		return !isFalse(v)
	}
	v, _ := userSetting(env, "auto_enter")
	return !isFalse(v)
}

func isFalse(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "0", "no", "false", "off":
		return true
	}
	return false
}

// userSetting reads KEY=VALUE from the user's sbx config file.
func userSetting(env Env, key string) (string, bool) {
	dir := env["XDG_CONFIG_HOME"]
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(env["HOME"], ".config")
	}
	f, err := os.Open(filepath.Join(dir, "sbx", "config"))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
