package hint

import (
	"errors"
	"fmt"
	"testing"
)

// hinted is an error with a hint, wrapping err when that is not nil.
type hinted struct {
	err       error
	msg, hint string
}

func (e *hinted) Error() string { return e.msg }
func (e *hinted) Unwrap() error { return e.err }
func (e *hinted) Hint() string  { return e.hint }

func TestOf(t *testing.T) {
	inner := &hinted{nil, "inner", "do the inner thing"}
	for name, tt := range map[string]struct {
		err  error
		want string
	}{
		"nil":                 {nil, ""},
		"plain":               {errors.New("x"), ""},
		"hinted":              {inner, "do the inner thing"},
		"wrapped by %w":       {fmt.Errorf("ctx: %w", inner), "do the inner thing"},
		"outermost wins":      {&hinted{inner, "outer", "outer fix"}, "outer fix"},
		"empty outer skipped": {&hinted{inner, "outer", ""}, "do the inner thing"},
		"joined":              {errors.Join(errors.New("a"), fmt.Errorf("b: %w", inner)), "do the inner thing"},
		"joined, first wins":  {fmt.Errorf("%w; %w", &hinted{nil, "a", "first"}, inner), "first"},
		"empty everywhere":    {&hinted{&hinted{nil, "a", ""}, "b", ""}, ""},
	} {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("%s: Of(%v) = %q, want %q", name, tt.err, got, tt.want)
		}
	}
}
