package sandboxfile

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// timespanUnits are systemd's time span units (systemd.time(7)) plus Go's
// spellings; the longest matching suffix wins.
var timespanUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "usec": time.Microsecond,
	"ms": time.Millisecond, "msec": time.Millisecond,
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// parseTimespan parses a Go duration ("1h30m") or a systemd time span
// ("30min", "1h 30min", "90" meaning seconds). Empty and 0 mean 0.
func parseTimespan(v string) (time.Duration, error) {
	if v == "" || v == "0" {
		return 0, nil
	}
	if d, err := time.ParseDuration(v); err == nil {
		if d < 0 {
			return 0, errors.New("negative time span")
		}
		return d, nil
	}
	var total time.Duration
	rest := strings.TrimSpace(v)
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if i == 0 {
			return 0, fmt.Errorf("%q: expected a number", rest)
		}
		if i < 0 {
			i = len(rest)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: number out of range", rest[:i])
		}
		rest = strings.TrimLeft(rest[i:], " ")
		j := strings.IndexFunc(rest, func(r rune) bool { return (r >= '0' && r <= '9') || r == ' ' })
		if j < 0 {
			j = len(rest)
		}
		unit := time.Second // systemd: a bare number is seconds
		if j > 0 {
			u, ok := timespanUnits[rest[:j]]
			if !ok {
				return 0, fmt.Errorf("unknown time unit %q", rest[:j])
			}
			unit = u
		}
		rest = strings.TrimLeft(rest[j:], " ")
		if n > int64((1<<63-1)/unit) || total+time.Duration(n)*unit < total {
			return 0, errors.New("time span too long")
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}
