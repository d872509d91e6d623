package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"
)

// simulateCommand runs any transaction command as a dry run: `plinth
// simulate contract call …` is `plinth contract call --dry-run …`. It is
// a prefix rather than a command of its own so that every transaction
// command, present and future, can be simulated with its own flags.
func simulateCommand() *cli.Command {
	return &cli.Command{
		Name:      "simulate",
		Usage:     "dry-run a transaction command on the latest state: the receipt it would get, the contract's debug log; nothing is sent",
		ArgsUsage: "COMMAND [SUBCOMMAND] [FLAGS] [ARGS]",
		Description: `   plinth simulate contract call --from dev1 plinth1… increment
   plinth simulate tx transfer --from dev1 --to dev2 --amount 5`,
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			cmds, i := c.App.Commands, 0
			var leaf *cli.Command
			for i < len(args) {
				cmd := findCommand(cmds, args[i])
				if cmd == nil {
					break
				}
				leaf, cmds = cmd, cmd.Subcommands
				i++
				if len(cmds) == 0 {
					break
				}
			}
			if leaf == nil || leaf.Name == "simulate" || !slices.ContainsFunc(leaf.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "dry-run") }) {
				return fmt.Errorf("simulate %v: not a transaction command (try plinth simulate contract call …)", args)
			}
			run := append(append(append([]string{c.App.Name}, args[:i]...), "--dry-run"), args[i:]...)
			return c.App.RunContext(c.Context, run)
		},
	}
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, cmd := range cmds {
		if cmd.HasName(name) {
			return cmd
		}
	}
	return nil
}
