// Package editor makes editors use a project's sbx machine: the snippets
// `sbx editor NAME` prints (a terminal profile running `sbx shell`, a build
// task running `sbx run make`), and the merge of VS Code's profile and task
// into a project's existing JSONC settings without losing a byte the user
// wrote.
package editor

import (
	_ "embed"
	"fmt"
	"strings"
)

var (
	//go:embed snippets/jetbrains.txt
	jetbrainsSnippet string
	//go:embed snippets/nvim.lua
	nvimSnippet string
	//go:embed snippets/emacs.el
	emacsSnippet string
)

// Names lists the editors sbx knows, in the order help texts name them.
func Names() []string { return []string{"vscode", "jetbrains", "nvim", "emacs"} }

// Snippet returns what to paste into the editor's configuration.
func Snippet(name string) (string, error) {
	switch name {
	case "vscode", "code":
		return vscodeSnippet(), nil
	case "jetbrains", "idea":
		return jetbrainsSnippet, nil
	case "nvim", "neovim":
		return nvimSnippet, nil
	case "emacs":
		return emacsSnippet, nil
	}
	return "", fmt.Errorf("unknown editor %q: sbx knows %s", name, strings.Join(Names(), ", "))
}

// Canonical maps an editor's alias (code, idea, neovim) to its name.
func Canonical(name string) string {
	switch name {
	case "code":
		return "vscode"
	case "idea":
		return "jetbrains"
	case "neovim":
		return "nvim"
	}
	return name
}

// vscodeSnippet shows both files as VS Code would read them (JSONC, so
// the heading comments can be pasted along).
func vscodeSnippet() string {
	d := newDoc(nil)
	return "// .vscode/settings.json: a terminal in the project's machine, as the default\n" +
		d.format(vscodeSettings, "") + "\n\n" +
		"// .vscode/tasks.json: the build task (Ctrl+Shift+B) runs make in the machine\n" +
		d.format(vscodeTasks, "") + "\n\n" +
		"// Or let sbx merge both into the project's files, keeping what is there:\n" +
		"//     sbx editor vscode --write\n"
}
