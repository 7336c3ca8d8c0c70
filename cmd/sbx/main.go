// Command sbx gives every project its own Debian development machine on
// systemd-nspawn. All logic lives in launcher/cli; main only wires the
// process to it so that the exit code has exactly one source.
package main

import (
	"os"

	"github.com/sbxdev/sbx/launcher/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv(), cli.StdIO()))
}
