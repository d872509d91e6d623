package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/testvectors"
)

// vectorsCommand checks this build against conformance vectors
// (docs/vectors.md).
func vectorsCommand() *cli.Command {
	return &cli.Command{
		Name:  "vectors",
		Usage: "conformance vectors",
		Subcommands: []*cli.Command{{
			Name:      "run",
			Usage:     "run every vector under DIR on this build and report N passed, M failed",
			ArgsUsage: "DIR",
			Description: `Each vector is a genesis and blocks of signed transactions with the receipts,
state roots and accounts every implementation must reach (docs/vectors.md).

   plinth vectors run ./testvectors`,
			Flags: []cli.Flag{outputFlag},
			Action: func(c *cli.Context) error {
				if c.Args().Len() != 1 {
					return fmt.Errorf("want one directory of vectors")
				}
				results, err := testvectors.RunDir(c.Context, c.Args().First())
				if err != nil {
					return err
				}
				type failure struct {
					Path  string   `json:"path"`
					Error string   `json:"error,omitempty"`
					Diffs []string `json:"diffs,omitempty"`
				}
				out := struct {
					Passed   int       `json:"passed"`
					Failed   int       `json:"failed"`
					Failures []failure `json:"failures"`
				}{Failures: []failure{}}
				var text strings.Builder
				for _, r := range results {
					if r.Passed() {
						out.Passed++
						continue
					}
					out.Failed++
					f := failure{Path: r.Path, Diffs: r.Diffs}
					if r.Err != nil {
						f.Error = r.Err.Error()
					}
					out.Failures = append(out.Failures, f)
					fmt.Fprintf(&text, "FAIL %s\n", r.Path)
					if f.Error != "" {
						fmt.Fprintf(&text, "  %s\n", f.Error)
					}
					for _, d := range r.Diffs {
						fmt.Fprintf(&text, "  %s\n", d)
					}
				}
				fmt.Fprintf(&text, "%d passed, %d failed", out.Passed, out.Failed)
				if err := emit(c, out, text.String()); err != nil {
					return err
				}
				if out.Failed > 0 {
					return cli.Exit("", 1)
				}
				return nil
			},
		}},
	}
}
