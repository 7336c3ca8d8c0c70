package agent

import "strings"

// Default PATHs as Debian's login.defs sets them, used when the host sent none.
const (
	defaultUserPath = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
	defaultRootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	defaultTerm     = "xterm-256color"
)

// guestEnv completes the environment the host built: identity variables
// come from the guest's passwd entry (they describe who runs there), PATH
// and, for a PTY, TERM get defaults when absent. Later entries win over
// earlier ones for the same key.
func guestEnv(host []string, u guestUser, pty bool, term string) []string {
	env := make([]string, 0, len(host)+6)
	seen := map[string]int{}
	set := func(kv string) {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := seen[k]; ok {
			env[i] = kv
			return
		}
		seen[k] = len(env)
		env = append(env, kv)
	}
	for _, kv := range host {
		if strings.Contains(kv, "=") {
			set(kv)
		}
	}
	set("HOME=" + u.Home)
	set("USER=" + u.Name)
	set("LOGNAME=" + u.Name)
	set("SHELL=" + u.Shell)
	if _, ok := seen["PATH"]; !ok {
		if u.UID == 0 {
			set("PATH=" + defaultRootPath)
		} else {
			set("PATH=" + defaultUserPath)
		}
	}
	if _, ok := seen["TERM"]; !ok && pty {
		if term == "" {
			term = defaultTerm
		}
		set("TERM=" + term)
	}
	return env
}

// envValue returns the value of key in env.
func envValue(env []string, key string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}
