package hint

import (
	"errors"
	"fmt"
	"testing"
)

type hinted struct{ msg, hint string }

func (e *hinted) Error() string { return e.msg }
func (e *hinted) Hint() string  { return e.hint }

type wrapper struct {
	err  error
	hint string
}

func (e *wrapper) Error() string { return e.err.Error() }
func (e *wrapper) Unwrap() error { return e.err }
func (e *wrapper) Hint() string  { return e.hint }

func TestOf(t *testing.T) {
	inner := &hinted{"inner", "do the inner thing"}
	for name, tt := range map[string]struct {
		err  error
		want string
	}{
		"nil":                 {nil, ""},
		"plain":               {errors.New("x"), ""},
		"hinted":              {inner, "do the inner thing"},
		"wrapped by %w":       {fmt.Errorf("ctx: %w", inner), "do the inner thing"},
		"outermost wins":      {&wrapper{inner, "outer fix"}, "outer fix"},
		"empty outer skipped": {&wrapper{inner, ""}, "do the inner thing"},
		"joined":              {errors.Join(errors.New("a"), fmt.Errorf("b: %w", inner)), "do the inner thing"},
		"joined, first wins":  {fmt.Errorf("%w; %w", &hinted{"a", "first"}, inner), "first"},
		"empty everywhere":    {&wrapper{&hinted{"a", ""}, ""}, ""},
	} {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("%s: Of(%v) = %q, want %q", name, tt.err, got, tt.want)
		}
	}
}
