package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/node/keystore"
)

var keystoreFlags = []cli.Flag{
	&cli.StringFlag{Name: "keystore", Usage: "keystore directory (default ~/.plinth/keys)"},
	outputFlag,
}

// passphrase comes from PLINTH_PASSPHRASE: never from a flag, where it
// would sit in the shell's history and the process list.
func passphrase() ([]byte, error) {
	p := os.Getenv("PLINTH_PASSPHRASE")
	if p == "" {
		return nil, errors.New("set the passphrase in PLINTH_PASSPHRASE")
	}
	return []byte(p), nil
}

func keysCommand() *cli.Command {
	info := func(c *cli.Context, i keystore.Info) error {
		return emit(c, i, fmt.Sprintf("%s  %s", i.Name, i.Address))
	}
	return &cli.Command{
		Name:  "keys",
		Usage: "keys in the encrypted keystore (docs/keys.md)",
		Subcommands: []*cli.Command{
			{
				Name: "new", Usage: "make a key", ArgsUsage: "NAME", Flags: keystoreFlags,
				Description: "   PLINTH_PASSPHRASE=… plinth keys new alice",
				Action: func(c *cli.Context) error {
					ks, err := openKeystore(c)
					if err != nil {
						return err
					}
					pass, err := passphrase()
					if err != nil {
						return err
					}
					i, err := ks.New(c.Args().First(), pass)
					if err != nil {
						return err
					}
					return info(c, i)
				},
			},
			{
				Name: "list", Usage: "the keys, without secrets", Flags: keystoreFlags,
				Action: func(c *cli.Context) error {
					ks, err := openKeystore(c)
					if err != nil {
						return err
					}
					is, err := ks.List()
					if c.String("output") == "json" {
						if is == nil {
							is = []keystore.Info{}
						}
						if e := emit(c, is, ""); e != nil {
							return e
						}
						return err
					}
					for _, i := range is {
						fmt.Fprintf(c.App.Writer, "%s  %s\n", i.Name, i.Address)
					}
					return err
				},
			},
			{
				Name: "show", Usage: "a key's address and public key", ArgsUsage: "NAME", Flags: keystoreFlags,
				Action: func(c *cli.Context) error {
					ks, err := openKeystore(c)
					if err != nil {
						return err
					}
					i, err := ks.Show(c.Args().First())
					if err != nil {
						return err
					}
					return info(c, i)
				},
			},
		},
	}
}
