package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sbxdev/sbx/launcher/nspawn"
)

// RootMain is `sbx __root OP ARG`: the privileged operations, run by systemd
// as root in a transient unit. Everything it says goes to out as Events.
// SIGTERM (sbx stop of the unit, e.g. after Ctrl-C in the CLI) cancels the
// work, which then cleans up before exiting.
func RootMain(args []string, out io.Writer) int {
	r := NewReporter(out)
	if os.Geteuid() != 0 {
		r.Send(Event{Error: "sbx __root must run as root; it is started by sbx through systemd", Code: 125})
		return 125
	}
	if len(args) != 2 {
		r.Send(Event{Error: "usage: sbx __root create|rm|du|snapshot|restore|snapshot-rm|export|import ARG", Code: 2})
		return 2
	}
	signal.Ignore(syscall.SIGPIPE) // the CLI may go away; finish the work anyway
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	var err error
	switch args[0] {
	case "create":
		var s *Spec
		if s, err = DecodeSpec(args[1]); err == nil {
			err = Create(ctx, s, r)
		}
	case "rm":
		err = Remove(ctx, args[1], r)
	case "du":
		err = DiskUsage(ctx, args[1], r)
	case "snapshot", "restore", "snapshot-rm":
		var ref SnapRef
		if ref, err = ParseSnapRef(args[1]); err == nil {
			err = map[string]func(context.Context, SnapRef, *Reporter) error{
				"snapshot": Snapshot, "restore": Restore, "snapshot-rm": RemoveSnapshot,
			}[args[0]](ctx, ref, r)
		}
	case "export":
		var a ExportArg
		if err = decodeArg(args[1], &a); err == nil {
			err = Export(ctx, &a, r)
		}
	case "import":
		var a ImportArg
		if err = decodeArg(args[1], &a); err == nil {
			err = Import(ctx, &a, r)
		}
	default:
		err = fmt.Errorf("unknown operation %q", args[0])
	}
	if err == nil {
		r.Send(Event{Done: true})
		return 0
	}
	e := Event{Error: err.Error(), Code: 125}
	var se *stepError
	if errors.As(err, &se) {
		e.Hint, e.Code = se.hint, se.code
	}
	if ctx.Err() != nil {
		e = Event{Error: "interrupted; nothing was left half-built", Code: 130}
		if args[0] == "create" && incomplete(args[1]) {
			e.Error = "interrupted during Setup=; the machine is kept, marked incomplete"
			e.Hint = "run sbx create again to re-run Setup="
		}
	}
	r.Send(e)
	return e.Code
}

// incomplete tells whether the machine of an encoded spec exists with its
// Setup= unfinished.
func incomplete(specArg string) bool {
	s, err := DecodeSpec(specArg)
	if err != nil {
		return false
	}
	m, err := nspawn.ReadMeta(s.Name)
	return err == nil && m.State == nspawn.StateIncomplete
}
