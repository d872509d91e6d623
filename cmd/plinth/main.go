// Command plinth is the single Plinth binary: it runs a node, a dev chain and
// the client commands that talk to one.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// version is overridden at release time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "plinth:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "plinth",
		Usage:   "a chain node for WebAssembly contracts that hold the rules of community-owned infrastructure",
		Version: version,
		Commands: []*cli.Command{
			devCommand(),
		},
	}
}

// devCommand will start a single-node chain on an embedded Pebble store. Until
// the runtime and the node exist, it says so and prints what is planned, so the
// README's first command is true at every commit.
func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run a single-node development chain",
		Action: func(c *cli.Context) error {
			w := c.App.Writer
			fmt.Fprintf(w, "plinth %s\n\n", version)
			fmt.Fprintln(w, "The dev chain is not built yet. What exists today:")
			fmt.Fprintln(w, "  vm/   deterministic, metered WebAssembly execution on wazero")
			fmt.Fprintln(w, "What comes next (see docs/ARCHITECTURE.md):")
			fmt.Fprintln(w, "  state/, runtime/, hostfns/, then this command: a solo chain with")
			fmt.Fprintln(w, "  prefunded dev accounts and an HTTP API on 127.0.0.1:8680.")
			return nil
		},
	}
}
