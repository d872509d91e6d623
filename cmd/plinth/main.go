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
			initCommand(),
			nodeCommand(),
			testnetCommand(),
			simulateCommand(),
			vectorsCommand(),
			statusCommand(),
			accountCommand(),
			blockCommand(),
			txCommand(),
			keysCommand(),
			contractCommand(),
			deviceCommand(),
		},
	}
}
