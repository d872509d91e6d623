package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

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
			{
				Name: "deploy", Usage: "store a WebAssembly module", ArgsUsage: "FILE.wasm",
				Description: "   plinth contract deploy --from dev0 --gas 20000000000 counter.wasm",
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
				Flags: txFlags(hexFlag, funds),
				Action: func(c *cli.Context) error {
					a, err := address.Parse(c.Args().Get(0))
					if err != nil {
						return err
					}
					in, err := input(c, c.Args().Get(2))
					if err != nil {
						return err
					}
					amount, err := canon.ParseU256(c.String("funds"))
					if err != nil {
						return err
					}
					s, err := send(c, tx.Call{Contract: a, Method: c.Args().Get(1), Input: in, Funds: amount})
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
				Flags: append([]cli.Flag{hexFlag, &cli.Uint64Flag{Name: "gas", Usage: "gas cap (0: the node's)"}}, clientFlags...),
				Action: func(c *cli.Context) error {
					a, err := address.Parse(c.Args().Get(0))
					if err != nil {
						return err
					}
					in, err := input(c, c.Args().Get(2))
					if err != nil {
						return err
					}
					r, err := client.New(c.String("node")).Query(c.Context, api.QueryRequest{Contract: a, Method: c.Args().Get(1), Input: in, Gas: c.Uint64("gas")})
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
				Name: "show", Usage: "a contract's code hash, admin, label and balance", ArgsUsage: "ADDRESS", Flags: clientFlags,
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
