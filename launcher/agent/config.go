package agent

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sbxdev/sbx/launcher/layout"
)

// DefaultConfigPath is where the machine's creator writes the agent's
// configuration inside the guest.
const DefaultConfigPath = layout.AgentConf

// Config is the agent's configuration: who owns the machine, and when it
// powers the machine off by itself.
type Config struct {
	OwnerUID int
	// StopWhenIdle powers the machine off after this long without a
	// command or shell running through the agent; 0 never does
	// (stop_when_idle=SECONDS, from the .sandbox's StopWhenIdle=).
	StopWhenIdle time.Duration
}

// Encode is the configuration file's text; ParseConfig reads it back.
// It is the one codec of agent.conf: sbx writes it with this, the agent
// reads it with ParseConfig.
func (c Config) Encode() string {
	conf := fmt.Sprintf("owner_uid=%d\n", c.OwnerUID)
	if c.StopWhenIdle > 0 {
		// Whole seconds, at least one: a shorter span still means "do stop".
		conf += fmt.Sprintf("stop_when_idle=%d\n", max(1, int64((c.StopWhenIdle+time.Second/2)/time.Second)))
	}
	return conf
}

// LoadConfig reads the configuration file at path (see ParseConfig).
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading agent configuration: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig reads key=value lines ('#' starts a comment) of the file
// path. owner_uid is required: without it the agent could not tell whom
// to serve.
func ParseConfig(path string, data []byte) (Config, error) {
	cfg := Config{OwnerUID: -1}
	sc := bufio.NewScanner(bytes.NewReader(data))
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
		case "stop_when_idle":
			n, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
			if err != nil || n < 0 || n > int64(time.Duration(1<<62)/time.Second) {
				return Config{}, fmt.Errorf("%s:%d: stop_when_idle must be a number of seconds", path, line)
			}
			cfg.StopWhenIdle = time.Duration(n) * time.Second
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
