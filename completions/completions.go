// Package completions carries the shell completions that `sbx completion
// SHELL` prints. They are real shell files embedded into the binary; they
// ask the hidden `sbx __complete` for commands, flags and machine names, so
// they never go stale as commands change. launcher/shellhook templates the
// binary's path into them.
package completions

import _ "embed"

// Bash is completions/sbx.bash (bash-completion's completions/sbx).
//
//go:embed sbx.bash
var Bash string

// Zsh is completions/_sbx (a zsh fpath function).
//
//go:embed _sbx
var Zsh string

// Fish is completions/sbx.fish (fish's completions/sbx.fish).
//
//go:embed sbx.fish
var Fish string
