package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/sbxdev/sbx/launcher/contract"
	"github.com/sbxdev/sbx/launcher/hint"
	"github.com/sbxdev/sbx/launcher/nspawn"
)

// maxSpecSize bounds the spec read on stdin; a .sandbox is at most 1 MiB.
const maxSpecSize = 4 << 20

// rootOp is one privileged operation: `sbx __root NAME ARG`, with a Spec
// on standard input when spec is set (never in argv, where `ps` and the
// journal would show it and its size would be bounded).
type rootOp struct {
	name string
	spec bool
	run  func(ctx context.Context, arg string, s *Spec, r *Reporter) error
}

// rootOps is every privileged operation, the one table the CLI's
// `sbx __root` dispatches on.
var rootOps = []rootOp{
	{name: "create", spec: true, run: func(ctx context.Context, _ string, s *Spec, r *Reporter) error { return Create(ctx, s, r) }},
	{name: "apply", spec: true, run: func(ctx context.Context, _ string, s *Spec, r *Reporter) error { return Apply(ctx, s, r) }},
	{name: "rebuild", spec: true, run: func(ctx context.Context, _ string, s *Spec, r *Reporter) error { return Rebuild(ctx, s, false, r) }},
	{name: "rebuild-fresh", spec: true, run: func(ctx context.Context, _ string, s *Spec, r *Reporter) error { return Rebuild(ctx, s, true, r) }},
	{name: "rm", run: func(ctx context.Context, arg string, _ *Spec, r *Reporter) error { return Remove(ctx, arg, r) }},
	{name: "du", run: func(ctx context.Context, arg string, _ *Spec, r *Reporter) error { return DiskUsage(ctx, arg, r) }},
	{name: "unbusy", run: func(_ context.Context, arg string, _ *Spec, r *Reporter) error { return ClearStaleBusy(arg, r) }},
	{name: "snapshot", run: snapOp(Snapshot)},
	{name: "restore", run: snapOp(Restore)},
	{name: "snapshot-rm", run: snapOp(RemoveSnapshot)},
	{name: "export", run: func(ctx context.Context, arg string, _ *Spec, r *Reporter) error {
		var a ExportArg
		if err := decodeArg(arg, &a); err != nil {
			return err
		}
		return Export(ctx, &a, r)
	}},
	{name: "import", run: func(ctx context.Context, arg string, _ *Spec, r *Reporter) error {
		var a ImportArg
		if err := decodeArg(arg, &a); err != nil {
			return err
		}
		return Import(ctx, &a, r)
	}},
}

func snapOp(fn func(context.Context, SnapRef, *Reporter) error) func(context.Context, string, *Spec, *Reporter) error {
	return func(ctx context.Context, arg string, _ *Spec, r *Reporter) error {
		ref, err := ParseSnapRef(arg)
		if err != nil {
			return err
		}
		return fn(ctx, ref, r)
	}
}

// RootOps names the operations, for the usage line.
func RootOps() string {
	var names []string
	for _, op := range rootOps {
		names = append(names, op.name)
	}
	return strings.Join(names, "|")
}

// OpTakesSpec tells whether operation op reads a Spec on standard input.
func OpTakesSpec(op string) bool {
	for _, o := range rootOps {
		if o.name == op {
			return o.spec
		}
	}
	return false
}

// RootMain is `sbx __root OP ARG`: the privileged operations, run by systemd
// as root in a transient unit. Everything it says goes to out as Events,
// and as text to logw (the journal: see OpenJournal). SIGTERM (sbx stop of the unit, e.g.
// after Ctrl-C in the CLI) cancels the work, which then cleans up before
// exiting.
func RootMain(args []string, in io.Reader, out, logw io.Writer) int {
	r := NewReporter(out)
	r.Journal = logw
	if os.Geteuid() != 0 {
		r.Send(Event{Error: "sbx __root must run as root; it is started by sbx through systemd", Code: 125})
		return 125
	}
	if len(args) != 2 {
		r.Send(Event{Error: "usage: sbx __root " + RootOps() + " ARG", Code: 2})
		return 2
	}
	signal.Ignore(syscall.SIGPIPE) // the CLI may go away; finish the work anyway
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	var s *Spec
	err := fmt.Errorf("unknown operation %q", args[0])
	for _, op := range rootOps {
		if op.name != args[0] {
			continue
		}
		err = nil
		if op.spec {
			s, err = readSpec(in, args[1])
		}
		if err == nil {
			err = op.run(ctx, args[1], s, r)
		}
		break
	}
	if err == nil {
		r.Send(Event{Done: true})
		return 0
	}
	e := failureEvent(err)
	if ctx.Err() != nil {
		e = Event{Error: "interrupted; nothing was left half-built", Code: 130}
		if s != nil && incomplete(s.Name) {
			e.Error = "interrupted while applying .sandbox (Setup= or packages); the machine is kept, marked not in line with .sandbox"
			e.Hint = "the next sbx run (or sbx create) applies the rest"
		}
	}
	r.Send(e)
	return e.Code
}

// failureEvent is err as the CLI gets it: the message, the hint of the
// outermost error in the chain that has one (hint.Of; the CLI's rootError
// carries it on), and a stepError's exit status.
func failureEvent(err error) Event {
	e := Event{Error: err.Error(), Hint: hint.Of(err), Code: 125}
	var se *stepError
	if errors.As(err, &se) {
		e.Code = se.code
	}
	return e
}

// readSpec reads and validates the spec on in, for machine name.
func readSpec(in io.Reader, name string) (*Spec, error) {
	if in == nil {
		return nil, errors.New("no spec on standard input")
	}
	data, err := io.ReadAll(io.LimitReader(in, maxSpecSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the spec: %w", err)
	}
	if len(data) > maxSpecSize {
		return nil, errors.New("the spec on standard input is too large")
	}
	s, err := contract.DecodeSpec(data)
	if err != nil {
		return nil, err
	}
	if s.Name != name {
		return nil, fmt.Errorf("the spec is for machine %q, not %q", s.Name, name)
	}
	return s, nil
}

// incomplete tells whether machine name exists with its Setup= unfinished.
func incomplete(name string) bool {
	m, err := nspawn.ReadMeta(name)
	return err == nil && m.State == nspawn.StateIncomplete
}
