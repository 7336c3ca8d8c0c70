package builder

import (
	"context"
	"fmt"
	"strings"

	"github.com/sbxdev/sbx/launcher/nspawn"
)

// runSetup runs each Setup= command once, as root, inside the machine (not
// booted: systemd-nspawn as a chroot with the same binds), in the project
// directory. Output is shown to the user as it comes.
func runSetup(ctx context.Context, s *Spec, r *Reporter) error {
	for i, argv := range s.Setup {
		r.Phase(fmt.Sprintf("Setup %d/%d: %s", i+1, len(s.Setup), strings.Join(argv, " ")))
		nsArgs := []string{"systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "--settings=no",
			"--as-pid2", "--console=pipe", "--private-users=no", "--resolv-conf=copy-host",
			"--directory=" + ImageDir(s.Name), "--machine=" + s.Name,
			"--setenv=DEBIAN_FRONTEND=noninteractive", "--setenv=LANG=C.UTF-8",
		}
		binds := []nspawn.Mount{{Host: s.Project}, {Host: LibDir, ReadOnly: true}}
		for _, b := range s.Binds {
			binds = append(binds, nspawn.Mount{Host: b.Host, Guest: b.Guest, ReadOnly: b.ReadOnly})
		}
		for _, b := range binds {
			v, err := nspawn.BindValue(b)
			if err != nil {
				return err
			}
			flag := "--bind="
			if b.ReadOnly {
				flag = "--bind-ro="
			}
			nsArgs = append(nsArgs, flag+v)
		}
		nsArgs = append(nsArgs, "--chdir="+s.Project, "--")
		nsArgs = append(nsArgs, argv...)
		err := run(ctx, baseEnv(), func(l string) { r.Send(Event{Out: l}) }, nsArgs...)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return failf(exitCode(err),
				"fix Setup= in .sandbox and run `sbx create` again: only Setup= runs again, the machine is kept",
				"Setup= command %d (%s) failed with exit status %d", i+1, strings.Join(argv, " "), exitCode(err))
		}
	}
	return nil
}
