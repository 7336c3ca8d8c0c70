package builder

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sbxdev/sbx/launcher/hint"
)

var _ hint.Hinter = (*stepError)(nil)

// TestFailureEventCarriesTheHint: a step's hint and exit status reach the
// CLI in the error event, also when the step's error is wrapped.
func TestFailureEventCarriesTheHint(t *testing.T) {
	step := failf(100, "install it on the host: sudo apt-get install debootstrap", "debootstrap is missing")
	for name, tt := range map[string]struct {
		err        error
		hint, text string
		code       int
	}{
		"step":    {step, "install it on the host: sudo apt-get install debootstrap", "debootstrap is missing", 100},
		"wrapped": {fmt.Errorf("creating proj: %w", step), "install it on the host: sudo apt-get install debootstrap", "creating proj: debootstrap is missing", 100},
		"plain":   {errors.New("disk full"), "", "disk full", 125},
	} {
		e := failureEvent(tt.err)
		if e.Error != tt.text || e.Hint != tt.hint || e.Code != tt.code {
			t.Errorf("%s: failureEvent = %+v, want error %q, hint %q, code %d", name, e, tt.text, tt.hint, tt.code)
		}
	}
}
