package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// shimDir holds one JSON list of shims per machine:
// $XDG_DATA_HOME/sbx/shims/NAME.json (default ~/.local/share/sbx/shims).
func (c *Ctx) shimDir() string {
	if d := c.Env["XDG_DATA_HOME"]; filepath.IsAbs(d) {
		return filepath.Join(d, "sbx", "shims")
	}
	return filepath.Join(c.home(), ".local", "share", "sbx", "shims")
}

func (c *Ctx) loadShims(machine string) ([]shim, error) {
	data, err := os.ReadFile(filepath.Join(c.shimDir(), machine+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the shim list: %w", err)
	}
	var recs []shim
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, WithHint(fmt.Errorf("reading the shim list of %s: %w", machine, err),
			"remove %s; the shims themselves stay in place", filepath.Join(c.shimDir(), machine+".json"))
	}
	return recs, nil
}

func (c *Ctx) saveShims(machine string, recs []shim) error {
	path := filepath.Join(c.shimDir(), machine+".json")
	if len(recs) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	if err := os.MkdirAll(c.shimDir(), 0o700); err != nil {
		return fmt.Errorf("saving the shim list: %w", err)
	}
	data, _ := json.MarshalIndent(recs, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("saving the shim list: %w", err)
	}
	return os.Rename(tmp, path)
}

// allShims lists the shims of every machine, sorted by command.
func (c *Ctx) allShims() ([]shim, error) {
	ents, err := os.ReadDir(c.shimDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("reading the shim lists: %w", err)
	}
	var all []shim
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		recs, err := c.loadShims(name)
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Command != all[j].Command {
			return all[i].Command < all[j].Command
		}
		return all[i].Path < all[j].Path
	})
	return all, nil
}

// shimRunCmd is what a shim runs: COMMAND in the machine of the project at
// ROOT, in the current directory when the machine has it.
func shimRunCmd() *Command {
	return &Command{
		Name: "__shim", Args: "ROOT COMMAND [ARG]...", Hidden: true,
		Short: "run COMMAND in the machine of the project at ROOT (what shims call)",
		Run: func(c *Ctx, args []string) error {
			if len(args) < 2 {
				return Usagef("usage: sbx __shim ROOT COMMAND [ARG]...")
			}
			p, err := c.loadProject(args[0])
			if err != nil {
				return err
			}
			if p.File.Root != args[0] {
				return WithHint(fmt.Errorf("the project of this shim, %s, has no .sandbox any more", args[0]),
					"remove the shim: sbx shim --rm %s", shellQuote(args[1]))
			}
			wd, err := c.cwd()
			if err != nil {
				wd = p.File.Root
			}
			return c.runProject(p, runOpts{Argv: args[1:], Dir: wd, DirFallback: p.File.Root})
		},
	}
}
