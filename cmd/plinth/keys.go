package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
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
			keysImportCommand(),
			keysExportCommand(),
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
				Description: "   plinth keys list\n   plinth keys list --keystore ./keys --output json",
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
				Description: "   plinth keys show alice",
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

// maxSeedInput bounds what keys import reads from stdin: a 64-byte private
// key is 128 hex digits; anything much longer is not a seed.
const maxSeedInput = 1024

func keysImportCommand() *cli.Command {
	return &cli.Command{
		Name: "import", Usage: "add an existing ed25519 key, its hex seed read from stdin", ArgsUsage: "NAME", Flags: keystoreFlags,
		Description: `Reads the key's 32-byte seed (or 64-byte private key, seed ‖ public key) in hex
   from standard input — never from a flag or an argument, which would land in the
   shell's history and the process list — and stores it encrypted under the
   passphrase in PLINTH_PASSPHRASE. Prints the key's name and address.

   PLINTH_PASSPHRASE=… plinth keys import alice < alice.seed
   plinth keys export --yes-print-secret alice | PLINTH_PASSPHRASE=… plinth keys import --keystore /mnt/backup alice`,
		Action: func(c *cli.Context) error {
			name, err := oneArg(c, "NAME")
			if err != nil {
				return err
			}
			// Everything that needs no secret is checked before the seed is read.
			if err := keystore.CheckName(name); err != nil {
				return err
			}
			pass, err := passphrase()
			if err != nil {
				return err
			}
			ks, err := openKeystore(c)
			if err != nil {
				return err
			}
			seed, err := readSeed(c)
			if err != nil {
				return err
			}
			defer clear(seed)
			i, err := ks.Import(name, seed, pass)
			if err != nil {
				return err
			}
			if i.Dev {
				fmt.Fprintf(c.App.ErrWriter, "note: %s is a well-known dev key: it signs only for a dev chain\n", name)
			}
			return emit(c, i, fmt.Sprintf("%s  %s", i.Name, i.Address))
		},
	}
}

// readSeed reads a hex seed from the command's stdin. On a terminal it
// prompts (on stderr) and reads one line; otherwise it reads everything,
// up to maxSeedInput bytes.
func readSeed(c *cli.Context) ([]byte, error) {
	in := c.App.Reader
	if in == nil {
		in = os.Stdin
	}
	var raw []byte
	var err error
	if isTerminal(in) {
		fmt.Fprint(c.App.ErrWriter, "seed (hex), then Enter — it shows as you type; pipe it in to keep it off the screen: ")
		raw, err = bufio.NewReaderSize(io.LimitReader(in, maxSeedInput+1), maxSeedInput+1).ReadSlice('\n')
		if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
			err = nil
		}
	} else {
		raw, err = io.ReadAll(io.LimitReader(in, maxSeedInput+1))
	}
	defer clear(raw)
	if err != nil {
		return nil, fmt.Errorf("reading the seed from stdin: %w", err)
	}
	if len(raw) > maxSeedInput {
		return nil, fmt.Errorf("stdin holds over %d bytes: want one hex seed (64 hex digits)", maxSeedInput)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, errors.New("no seed on stdin: pipe in the key's hex seed, e.g. plinth keys import alice < alice.seed")
	}
	return keystore.ParseSeed(string(raw))
}

// isTerminal reports whether r is a character device (a terminal).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func keysExportCommand() *cli.Command {
	return &cli.Command{
		Name: "export", Usage: "print a key's secret seed in hex (with --yes-print-secret)", ArgsUsage: "NAME",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "yes-print-secret", Usage: "print the seed: whoever sees it controls the account"},
		}, keystoreFlags...),
		Description: `Unlocks the key with the passphrase in PLINTH_PASSPHRASE and prints its 32-byte
   seed in hex, the form keys import reads (and plinth dev prints for the dev keys).
   Anyone who sees the seed controls the account, so the command refuses
   without --yes-print-secret. Text output is the seed alone, for a pipe;
   --output json is {"name", "address", "seed"}.

   PLINTH_PASSPHRASE=… plinth keys export --yes-print-secret alice > alice.seed
   plinth keys export --yes-print-secret alice | PLINTH_PASSPHRASE=… plinth keys import --keystore /mnt/backup alice`,
		Action: func(c *cli.Context) error {
			name, err := oneArg(c, "NAME")
			if err != nil {
				return err
			}
			if !c.Bool("yes-print-secret") {
				return fmt.Errorf("keys export prints %s's secret seed, and whoever sees it (on the screen, in a log or the scrollback) controls the account: "+
					"give --yes-print-secret to print it anyway", name)
			}
			ks, err := openKeystore(c)
			if err != nil {
				return err
			}
			i, err := ks.Show(name)
			if err != nil {
				return err
			}
			pass, err := passphrase()
			if err != nil {
				return err
			}
			seed, err := ks.Export(name, pass)
			if err != nil {
				return err
			}
			defer clear(seed)
			out := struct {
				Name    string `json:"name"`
				Address string `json:"address"`
				Seed    string `json:"seed"`
			}{i.Name, i.Address.String(), keystore.FormatSeed(seed)}
			if c.String("output") != "json" {
				fmt.Fprintf(c.App.ErrWriter, "the seed of %s (%s); whoever has it controls the account:\n", i.Name, i.Address)
			}
			return emit(c, out, out.Seed)
		},
	}
}

// oneArg returns a command's single positional argument, or an error
// naming what is missing or extra. urfave/cli stops reading flags at the
// first argument, so a flag after it arrives here as an argument.
func oneArg(c *cli.Context, what string) (string, error) {
	switch n := c.NArg(); {
	case n == 0:
		return "", fmt.Errorf("want %s", what)
	case n > 1:
		return "", fmt.Errorf("want one argument, %s; got %q (flags go before arguments)", what, c.Args().Slice())
	}
	return c.Args().First(), nil
}
