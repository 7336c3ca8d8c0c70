// Package hooks carries the shell hooks that `sbx hook SHELL` prints. They
// are real shell files (linted and read as such) embedded into the binary;
// launcher/shellhook templates the binary's path into them.
package hooks

import _ "embed"

// Bash is hooks/sbx.bash, for `eval "$(sbx hook bash)"`.
//
//go:embed sbx.bash
var Bash string

// Zsh is hooks/sbx.zsh, for `eval "$(sbx hook zsh)"`.
//
//go:embed sbx.zsh
var Zsh string

// Fish is hooks/sbx.fish, for `sbx hook fish | source`.
//
//go:embed sbx.fish
var Fish string
