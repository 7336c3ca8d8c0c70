// Package testhost boots a disposable Debian systemd host with
// systemd-nspawn, so end-to-end tests run against real systemd, machined,
// D-Bus and polkit even where PID 1 of the outer machine is not systemd.
//
// A pristine root filesystem is built once with mmdebstrap and cached under
// /var/cache/sbx-e2e, keyed by its package list; every Boot runs a fresh
// copy of it in cgroups of its own, and Close powers it off and removes
// everything it made. Everything here needs root and Linux.
//
//	h, err := testhost.Boot(ctx, testhost.Options{Log: os.Stderr})
//	if err != nil { ... }
//	defer h.Close()
//	r := h.Sh(ctx, "root", "systemctl is-system-running")
package testhost
