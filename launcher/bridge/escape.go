package bridge

import "time"

// escapeByte is ^] (GS), the key machinectl uses to leave a console.
const escapeByte = 0x1d

// escapeWindow is how soon after the first ^] the third must come.
const escapeWindow = time.Second

// escapeDetector spots ^] typed three times within escapeWindow, as
// machinectl's PTY forwarder does: any other key starts over.
type escapeDetector struct {
	count int
	first time.Time
	now   func() time.Time
}

// seen reports whether p completes the escape sequence.
func (d *escapeDetector) seen(p []byte) bool {
	now := time.Now
	if d.now != nil {
		now = d.now
	}
	for _, b := range p {
		if b != escapeByte {
			d.count = 0
			continue
		}
		t := now()
		if d.count == 0 || t.Sub(d.first) > escapeWindow {
			d.count, d.first = 1, t
			continue
		}
		d.count++
		if d.count >= 3 {
			return true
		}
	}
	return false
}
