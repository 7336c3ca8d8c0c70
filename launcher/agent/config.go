package agent

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// DefaultConfigPath is where the machine's creator writes the agent's
// configuration inside the guest.
const DefaultConfigPath = "/etc/sbx/agent.conf"

// Config is the agent's configuration: who owns the machine.
type Config struct {
	OwnerUID int
}

// LoadConfig reads key=value lines ('#' starts a comment). owner_uid is
// required: without it the agent could not tell whom to serve.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading agent configuration: %w", err)
	}
	defer f.Close()
	cfg := Config{OwnerUID: -1}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		key, val, ok := strings.Cut(text, "=")
		if !ok {
			return Config{}, fmt.Errorf("%s:%d: expected key=value", path, line)
		}
		switch strings.TrimSpace(key) {
		case "owner_uid":
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil || n < 0 {
				return Config{}, fmt.Errorf("%s:%d: owner_uid must be a number", path, line)
			}
			cfg.OwnerUID = n
		}
	}
	if err := sc.Err(); err != nil {
		return Config{}, fmt.Errorf("reading agent configuration: %w", err)
	}
	if cfg.OwnerUID < 0 {
		return Config{}, fmt.Errorf("%s: owner_uid is missing; recreate the machine", path)
	}
	return cfg, nil
}
