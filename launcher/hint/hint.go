// Package hint is how an error says what to do next. Any error type with a
// Hint() string method carries a next step, whichever package made it (a
// .sandbox parse error, a refused owner, a failed root step); the CLI
// prints the one Of finds on its own line under the error. The packages
// that make such errors need not import this one: the interface is
// satisfied by the method alone.
package hint

// Hinter is an error that knows the user's next step.
type Hinter interface{ Hint() string }

// Of is the hint of err: the outermost error in its chain with a non-empty
// Hint(), walked as errors.As walks it (Unwrap, both forms, depth first).
// A wrapper's hint so overrides the hint of what it wraps; "" when no
// error in the chain has one.
func Of(err error) string {
	for err != nil {
		if h, ok := err.(Hinter); ok && h.Hint() != "" {
			return h.Hint()
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if s := Of(e); s != "" {
					return s
				}
			}
			return ""
		default:
			return ""
		}
	}
	return ""
}
