package cli

import (
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	good := map[string]syscall.Signal{
		"TERM": syscall.SIGTERM, "SIGTERM": syscall.SIGTERM, "sigkill": syscall.SIGKILL, "9": syscall.SIGKILL,
		"INT": syscall.SIGINT, " hup ": syscall.SIGHUP, "RTMIN": 34, "SIGRTMIN+4": 38, "rtmin+30": 64,
	}
	for in, want := range good {
		got, err := parseSignal(in)
		if err != nil || got != want {
			t.Errorf("parseSignal(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "65", "-1", "FOO", "RTMIN+", "RTMIN-1", "RTMIN+31", "RTMIN4", "SIG"} {
		if got, err := parseSignal(in); err == nil {
			t.Errorf("parseSignal(%q) = %d, want an error", in, got)
		}
	}
}
