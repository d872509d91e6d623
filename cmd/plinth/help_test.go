package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryCommandHasAnExample: `plinth X --help` shows at least one
// example invocation for every command that does something.
func TestEveryCommandHasAnExample(t *testing.T) {
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := path + " " + c.Name
			if c.Action != nil && !strings.Contains(c.Description, name) {
				t.Errorf("%q has no example (a line with %q) in its Description", name, name)
			}
			walk(name, c.Subcommands)
		}
	}
	walk("plinth", newApp().Commands)
}
