package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/contracts/build"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Contract commands. Inputs are given as text (JSON by default, as the Go
// contract SDK expects) or, with --hex, as hex bytes; results print as
// JSON when they are JSON, else as text or hex.
func contractCommand() *cli.Command {
	input := func(c *cli.Context, arg string) ([]byte, error) {
		if c.Bool("hex") {
			return hex.DecodeString(arg)
		}
		return []byte(arg), nil
	}
	hexFlag := &cli.BoolFlag{Name: "hex", Usage: "the input argument is hex bytes, not text"}
	funds := &cli.StringFlag{Name: "funds", Value: "0", Usage: "native tokens sent with the call"}
	return &cli.Command{
		Name:  "contract",
		Usage: "deploy, instantiate, call and query contracts",
		Subcommands: []*cli.Command{
			buildCommand(),
			{
				Name: "deploy", Usage: "store a WebAssembly module", ArgsUsage: "FILE.wasm",
				Description: "   plinth contract deploy --from dev0 counter.wasm",
				Flags:       txFlags(),
				Action: func(c *cli.Context) error {
					code, err := os.ReadFile(c.Args().First())
					if err != nil {
						return err
					}
					s, err := send(c, tx.Deploy{Code: code})
					if err != nil {
						return err
					}
					if s.Code == 0 {
						s.CodeHash = s.Return
					}
					return report(c, s, "\ncode hash "+s.CodeHash)
				},
			},
			{
				Name: "instantiate", Usage: "create a contract from stored code", ArgsUsage: "CODE_HASH [INIT]",
				Description: "   plinth contract instantiate --from dev1 --label counter --admin dev1 9f86d08…\n   plinth contract instantiate --from dev1 --funds 1000 9f86d08… '{\"owner\": \"plinth1…\"}'",
				Flags: txFlags(hexFlag, funds,
					&cli.StringFlag{Name: "label", Usage: "a name for people"},
					&cli.StringFlag{Name: "admin", Usage: "who may migrate it (an address or a dev key's name); none by default"}),
				Action: func(c *cli.Context) error {
					h, err := hex.DecodeString(c.Args().Get(0))
					if err != nil || len(h) != 32 {
						return fmt.Errorf("code hash %q: want 64 hex digits", c.Args().Get(0))
					}
					init, err := input(c, c.Args().Get(1))
					if err != nil {
						return err
					}
					amount, err := canon.ParseU256(c.String("funds"))
					if err != nil {
						return err
					}
					body := tx.Instantiate{CodeHash: [32]byte(h), Init: init, Label: c.String("label"), Funds: amount}
					if a := c.String("admin"); a != "" {
						admin, err := resolveAddress(c, a)
						if err != nil {
							return err
						}
						body.Admin = admin[:]
					}
					s, err := send(c, body)
					if err != nil {
						return err
					}
					if ret, _ := hex.DecodeString(s.Return); s.Code == 0 && len(ret) >= 20 {
						s.Address = address.Address(ret[:20]).String()
						s.Result = result(ret[20:])
					}
					return report(c, s, "\ncontract "+s.Address)
				},
			},
			{
				Name: "call", Usage: "call a contract's method", ArgsUsage: "ADDRESS METHOD [INPUT]",
				Description: "   plinth contract call --from dev1 plinth1… increment\n   plinth contract call --from dev1 --funds 500 plinth1… deposit '{\"memo\": \"march\"}'",
				Flags:       txFlags(hexFlag, funds),
				Action: func(c *cli.Context) error {
					a, method, in, err := methodArgs(c, input)
					if err != nil {
						return err
					}
					amount, err := canon.ParseU256(c.String("funds"))
					if err != nil {
						return err
					}
					s, err := send(c, tx.Call{Contract: a, Method: method, Input: in, Funds: amount})
					if err != nil {
						return err
					}
					ret, _ := hex.DecodeString(s.Return)
					s.Result = result(ret)
					return report(c, s, fmt.Sprintf("\nresult %v", s.Result))
				},
			},
			{
				Name: "query", Usage: "call a method read-only", ArgsUsage: "ADDRESS METHOD [INPUT]",
				Description: "   plinth contract query plinth1… count\n   plinth contract query --output json plinth1… balance '{\"owner\": \"plinth1…\"}'",
				Flags:       append([]cli.Flag{hexFlag, &cli.Uint64Flag{Name: "gas", Usage: "gas cap (0: the node's)"}}, clientFlags...),
				Action: func(c *cli.Context) error {
					a, method, in, err := methodArgs(c, input)
					if err != nil {
						return err
					}
					r, err := client.New(c.String("node")).Query(c.Context, api.QueryRequest{Contract: a, Method: method, Input: in, Gas: c.Uint64("gas")})
					if err != nil {
						return err
					}
					out := struct {
						Result  any    `json:"result"`
						GasUsed uint64 `json:"gas_used"`
						Log     string `json:"log,omitempty"`
					}{result(r.Result), r.GasUsed, r.Log}
					return emit(c, out, fmt.Sprint(out.Result))
				},
			},
			{
				Name: "migrate", Usage: "move a contract to other stored code (its admin only); the new code's migrate export runs",
				ArgsUsage:   "ADDRESS CODE_HASH [INPUT]",
				Description: "   plinth contract migrate --from dev0 plinth1… 9f86d08…  '{}'",
				Flags:       txFlags(hexFlag),
				Action: func(c *cli.Context) error {
					a, err := address.Parse(c.Args().Get(0))
					if err != nil {
						return err
					}
					h, err := hex.DecodeString(c.Args().Get(1))
					if err != nil || len(h) != 32 {
						return fmt.Errorf("code hash %q: want 64 hex digits", c.Args().Get(1))
					}
					in, err := input(c, c.Args().Get(2))
					if err != nil {
						return err
					}
					s, err := send(c, tx.Migrate{Contract: a, CodeHash: [32]byte(h), Input: in})
					if err != nil {
						return err
					}
					ret, _ := hex.DecodeString(s.Return)
					s.Result = result(ret)
					return report(c, s, "")
				},
			},
			{
				Name: "show", Usage: "a contract's code hash, admin, label and balance", ArgsUsage: "ADDRESS", Flags: clientFlags,
				Description: "   plinth contract show plinth1…",
				Action: func(c *cli.Context) error {
					a, err := address.Parse(c.Args().First())
					if err != nil {
						return err
					}
					ct, err := client.New(c.String("node")).Contract(c.Context, a)
					if err != nil {
						return err
					}
					return emit(c, ct, fmt.Sprintf("%s  %q  code %x  balance %s", ct.Address, ct.Label, []byte(ct.CodeHash), ct.Balance))
				},
			},
		},
	}
}

// methodArgs reads call's and query's ADDRESS METHOD [INPUT].
func methodArgs(c *cli.Context, input func(*cli.Context, string) ([]byte, error)) (address.Address, string, []byte, error) {
	a, err := address.Parse(c.Args().Get(0))
	if err != nil {
		return a, "", nil, err
	}
	if c.Args().Get(1) == "" {
		return a, "", nil, fmt.Errorf("want ADDRESS METHOD [INPUT]: no method")
	}
	in, err := input(c, c.Args().Get(2))
	return a, c.Args().Get(1), in, err
}

// buildCommand wraps contracts/build: the standard Go toolchain with the
// flags that make a contract's bytes reproducible.
func buildCommand() *cli.Command {
	return &cli.Command{
		Name: "build", Usage: "compile a Go contract to WebAssembly, reproducibly", ArgsUsage: "DIR [-o FILE.wasm]",
		Description: "Runs go build with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared -trimpath \"-ldflags=-buildid= -s -w\" -buildvcs=false:\n" +
			"   the same source and Go version give the same bytes, so anyone can check a deployed code hash.\n\n" +
			"   plinth contract build ./contracts/examples/counter -o counter.wasm",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "o", Usage: "the module to write (default: DIR's name + .wasm, here)"},
			outputFlag,
		},
		Action: func(c *cli.Context) error {
			dir, out, err := buildArgs(c.Args().Slice(), c.String("o"))
			if err != nil {
				return err
			}
			r, err := build.Build(c.Context, dir, out)
			if err != nil {
				return cli.Exit(err.Error(), 1)
			}
			res := struct {
				*build.Result
				CodeHash string `json:"code_hash"`
			}{r, hex.EncodeToString(r.CodeHash[:])}
			return emit(c, res, fmt.Sprintf("%s: %d bytes, code hash %s (%s)", r.Path, r.Bytes, res.CodeHash, r.GoVersion))
		},
	}
}

// buildArgs reads DIR and the output file. urfave/cli stops reading
// flags at the first argument, so "build DIR -o FILE" (the natural order)
// is read here.
func buildArgs(args []string, out string) (dir, file string, err error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		if a := args[i]; a == "-o" || a == "--o" {
			if i+1 == len(args) {
				return "", "", fmt.Errorf("%s needs a file name", a)
			}
			out = args[i+1]
			i++
			continue
		}
		rest = append(rest, args[i])
	}
	if len(rest) != 1 {
		return "", "", fmt.Errorf("want one contract directory, got %d arguments", len(rest))
	}
	dir = rest[0]
	if out == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return "", "", err
		}
		out = filepath.Base(abs) + ".wasm"
	}
	return dir, out, nil
}

// result is a contract's return value for printing: JSON as JSON, other
// text as a string, anything else as hex.
func result(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	var v any
	if json.Valid(b) && json.Unmarshal(b, &v) == nil {
		return v
	}
	if utf8.Valid(b) && strings.IndexFunc(string(b), func(r rune) bool { return !unicode.IsPrint(r) && r != '\n' && r != '\t' }) < 0 {
		return string(b)
	}
	return hex.EncodeToString(b)
}
