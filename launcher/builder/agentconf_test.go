package builder

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sbxdev/sbx/launcher/agent"
)

// What the builder writes is what the agent reads back.
func TestAgentConfRoundTrip(t *testing.T) {
	cases := map[time.Duration]time.Duration{
		0:                                     0,
		30 * time.Minute:                      30 * time.Minute,
		5 * time.Second:                       5 * time.Second,
		300 * time.Millisecond:                time.Second, // shorter than a second still stops
		90*time.Minute + 400*time.Millisecond: 90 * time.Minute,
	}
	for in, want := range cases {
		s := &Spec{User: User{UID: 1000}, StopWhenIdle: in}
		p := filepath.Join(t.TempDir(), "agent.conf")
		if err := os.WriteFile(p, []byte(agentConf(s)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := agent.LoadConfig(p)
		if err != nil || cfg.OwnerUID != 1000 || cfg.StopWhenIdle != want {
			t.Errorf("StopWhenIdle %s: read back %+v, %v; want %s", in, cfg, err, want)
		}
	}
}
