package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// outputFlag is every command's --output.
var outputFlag = &cli.StringFlag{Name: "output", Value: "text", Usage: "text, or json (one object; scripts may rely on its field names)"}

// Flags every client command takes.
var clientFlags = []cli.Flag{
	&cli.StringFlag{Name: "node", Value: "http://127.0.0.1:8680", Usage: "the node's API", EnvVars: []string{"PLINTH_NODE"}},
	outputFlag,
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name: "status", Usage: "the chain's height, state root, consensus round, peers and this node's validator", Flags: clientFlags,
		Description: "   plinth status\n   plinth status --node http://10.0.0.5:8680 --output json",
		Action: func(c *cli.Context) error {
			s, err := client.New(c.String("node")).Status(c.Context)
			if err != nil {
				return err
			}
			text := fmt.Sprintf("chain %s at height %d (block %x, state root %x), %d txs pending\n%s consensus, round %d, %d peers, %d validators",
				s.ChainID, s.Height, []byte(s.BlockHash), []byte(s.StateRoot), s.MempoolTxs, s.Consensus, s.Round, s.Peers, s.Validators)
			if s.CatchingUp {
				text += ", catching up"
			}
			if s.Consensus == "bft" {
				text += fmt.Sprintf("\n%d blocks missed, %d synced from peers, %d pieces of evidence pending", s.MissedBlocks, s.SyncedBlocks, s.Evidence)
			}
			if v := s.Validator; v != nil {
				text += fmt.Sprintf("\nthis node is validator %d (%s, power %d, %s)", v.Index, v.Name, v.Power, v.Address)
			}
			return emit(c, s, text)
		},
	}
}

func accountCommand() *cli.Command {
	return &cli.Command{
		Name: "account", Usage: "an account's balance and nonce", ArgsUsage: "ADDRESS|KEY", Flags: clientFlags,
		Description: "   plinth account dev2\n   plinth account plinth1…",
		Action: func(c *cli.Context) error {
			a, err := resolveAddress(c, c.Args().First())
			if err != nil {
				return err
			}
			acc, err := client.New(c.String("node")).Account(c.Context, a)
			if err != nil {
				return err
			}
			return emit(c, acc, fmt.Sprintf("%s  balance %s  nonce %d", acc.Address, acc.Balance, acc.Nonce))
		},
	}
}

func blockCommand() *cli.Command {
	return &cli.Command{
		Name: "block", Usage: "a block by height, or the latest", ArgsUsage: "latest|HEIGHT", Flags: clientFlags,
		Description: "   plinth block latest\n   plinth block --output json 42",
		Action: func(c *cli.Context) error {
			var h uint64
			if arg := c.Args().First(); arg != "" && arg != "latest" {
				var err error
				if h, err = strconv.ParseUint(arg, 10, 64); err != nil || h == 0 {
					return fmt.Errorf("block %q: a height from 1, or latest", arg)
				}
			}
			b, err := client.New(c.String("node")).Block(c.Context, h)
			if err != nil {
				return err
			}
			return emit(c, b, fmt.Sprintf("block %d  %x  %d txs  time %d", b.Height, []byte(b.Hash), len(b.Txs), b.Time))
		},
	}
}

func txCommand() *cli.Command {
	return &cli.Command{
		Name: "tx", Usage: "show an included transaction, or send one", ArgsUsage: "HASH", Flags: clientFlags,
		Description: "   plinth tx 6ee5247e…   (the hash a transaction command printed)",
		Action: func(c *cli.Context) error {
			var h [32]byte
			b, err := hex.DecodeString(c.Args().First())
			if err != nil || len(b) != 32 {
				return fmt.Errorf("tx %q: want a transaction hash (64 hex digits)", c.Args().First())
			}
			copy(h[:], b)
			r, err := client.New(c.String("node")).Tx(c.Context, h)
			if err != nil {
				return err
			}
			return emit(c, r, fmt.Sprintf("tx %x at height %d: %s, gas %d", h, r.Height, r.Receipt.CodeName, r.Receipt.GasUsed))
		},
		Subcommands: []*cli.Command{{
			Name: "transfer", Usage: "send native tokens",
			Description: "   plinth tx transfer --from dev0 --to plinth1… --amount 1000",
			Flags: txFlags(
				&cli.StringFlag{Name: "to", Required: true, Usage: "the recipient's address (or a dev key's name)"},
				&cli.StringFlag{Name: "amount", Required: true, Usage: "in the smallest unit"},
			),
			Action: func(c *cli.Context) error {
				to, err := resolveAddress(c, c.String("to"))
				if err != nil {
					return err
				}
				amount, err := canon.ParseU256(c.String("amount"))
				if err != nil {
					return err
				}
				s, err := send(c, tx.Transfer{To: to, Amount: amount})
				if err != nil {
					return err
				}
				return report(c, s, "")
			},
		}},
	}
}

// txFlags are the flags of every command that sends a transaction.
func txFlags(extra ...cli.Flag) []cli.Flag {
	return append(append(extra,
		&cli.StringFlag{Name: "from", Required: true, Usage: "the signing key: dev0…dev9 on a dev chain, or a keystore key (passphrase in PLINTH_PASSPHRASE)"},
		&cli.Uint64Flag{Name: "gas", Usage: "gas limit (default: simulate first and add a margin)"},
		&cli.StringFlag{Name: "price", Value: "1", Usage: "gas price"},
		&cli.StringFlag{Name: "keystore", Usage: "keystore directory (default ~/.plinth/keys)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "simulate on the latest state instead of sending: the receipt it would get, nothing written"},
	), clientFlags...)
}

// sent is what a transaction command prints in JSON; deploy adds
// code_hash, instantiate address, call result.
type sent struct {
	TxHash   string `json:"tx_hash"`
	Height   uint64 `json:"height"`
	Code     uint32 `json:"code"`
	Status   string `json:"status"`
	GasUsed  uint64 `json:"gas_used"`
	Message  string `json:"message,omitempty"`
	Return   string `json:"return,omitempty"`
	CodeHash string `json:"code_hash,omitempty"`
	Address  string `json:"address,omitempty"`
	Result   any    `json:"result,omitempty"`
}

// send signs body with --from, submits it, waits for inclusion and
// returns what to print. A failed transaction is printed, then exit 2.
func send(c *cli.Context, body tx.Body) (*sent, error) {
	cl := client.New(c.String("node"))
	st, err := cl.Status(c.Context)
	if err != nil {
		return nil, err
	}
	key, err := signingKey(c, c.String("from"), st.Dev)
	if err != nil {
		return nil, err
	}
	from := address.FromPublicKey(key.Public().(ed25519.PublicKey))
	acc, err := cl.Account(c.Context, from)
	if err != nil {
		return nil, err
	}
	price, err := canon.ParseU256(c.String("price"))
	if err != nil {
		return nil, err
	}
	t := &tx.Tx{ChainID: st.ChainID, Nonce: acc.Nonce, GasLimit: c.Uint64("gas"), GasPrice: price, Payload: tx.Payload{Body: body}}
	simulate := func() (api.SimulateResult, error) {
		unsigned, err := canon.Marshal(t)
		if err != nil {
			return api.SimulateResult{}, err
		}
		return cl.Simulate(c.Context, api.SimulateRequest{From: from, Tx: unsigned})
	}
	if t.GasLimit == 0 {
		if t.GasLimit, err = estimateGas(t, acc.Balance, simulate); err != nil {
			return nil, err
		}
	}
	if c.Bool("dry-run") {
		sim, err := simulate()
		if err != nil {
			return nil, err
		}
		if sim.Log != "" {
			fmt.Fprint(c.App.ErrWriter, sim.Log)
		}
		return &sent{Code: sim.Receipt.Code, Status: sim.Receipt.CodeName + " (simulated)", GasUsed: sim.Receipt.GasUsed,
			Message: sim.Receipt.Message, Return: hex.EncodeToString(sim.Receipt.Return)}, nil
	}
	raw, err := tx.Sign(t, key)
	if err != nil {
		return nil, err
	}
	h, err := cl.Submit(c.Context, raw)
	if err != nil {
		return nil, err
	}
	text := c.String("output") != "json"
	r, err := cl.Wait(c.Context, h, func() {
		if text {
			fmt.Fprint(c.App.ErrWriter, ".")
		}
	})
	if text {
		fmt.Fprintln(c.App.ErrWriter)
	}
	if err != nil {
		return nil, err
	}
	return &sent{TxHash: hex.EncodeToString(h[:]), Height: r.Height, Code: r.Receipt.Code, Status: r.Receipt.CodeName,
		GasUsed: r.Receipt.GasUsed, Message: r.Receipt.Message, Return: hex.EncodeToString(r.Receipt.Return)}, nil
}

// Gas estimation: a transaction without --gas is first simulated with
// the most gas the sender can pay for (at most estimateCap), and sent
// with what it used plus a fifth and estimateSlack: the state may change
// between the simulation and the block (a storage value grows, a
// balance moves), and a limit too low fails the transaction and costs
// its fee, while unused gas is refunded (docs/cli.md).
const (
	estimateCap   = 50_000_000_000
	estimateSlack = 10_000
)

func estimateGas(t *tx.Tx, balance string, simulate func() (api.SimulateResult, error)) (uint64, error) {
	t.GasLimit = estimateCap
	if bal, err := canon.ParseU256(balance); err == nil && !t.GasPrice.IsZero() {
		var afford canon.U256
		afford.Div(&bal.Int, &t.GasPrice.Int)
		if afford.IsUint64() && afford.Uint64() < t.GasLimit {
			t.GasLimit = afford.Uint64()
		}
	}
	sim, err := simulate()
	if err != nil {
		return 0, fmt.Errorf("estimate gas: %w", err)
	}
	if r := sim.Receipt; r.Code != 0 {
		return 0, fmt.Errorf("estimate gas: the transaction would fail (%s: %s), so it was not sent; give --gas to send it anyway", r.CodeName, r.Message)
	}
	used := sim.Receipt.GasUsed
	return used + used/5 + estimateSlack, nil
}

// report prints a sent transaction and turns a failed one into exit 2.
func report(c *cli.Context, s *sent, text string) error {
	if err := emit(c, s, fmt.Sprintf("tx %s included at height %d: %s (gas %d) %s%s", s.TxHash, s.Height, s.Status, s.GasUsed, s.Message, text)); err != nil {
		return err
	}
	if s.Code != 0 {
		return cli.Exit("", 2) // included, but failed: a script can tell
	}
	return nil
}

// signingKey resolves --from: a dev key (only on a dev chain) or a key of
// the keystore, unlocked with PLINTH_PASSPHRASE.
func signingKey(c *cli.Context, name string, devChain bool) (ed25519.PrivateKey, error) {
	if k, ok := keystore.LookupDevKey(name); ok {
		if err := keystore.CheckAllowed(k.Public().(ed25519.PublicKey), devChain); err != nil {
			return nil, err
		}
		return k, nil
	}
	ks, err := openKeystore(c)
	if err != nil {
		return nil, err
	}
	pass := os.Getenv("PLINTH_PASSPHRASE")
	if pass == "" {
		return nil, errors.New("the keystore key needs its passphrase in PLINTH_PASSPHRASE")
	}
	return ks.UnlockForChain(name, []byte(pass), devChain)
}

func openKeystore(c *cli.Context) (*keystore.Store, error) {
	dir := c.String("keystore")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		dir = filepath.Join(home, ".plinth", "keys")
	}
	return keystore.Open(dir, keystore.Options{})
}

// resolveAddress reads an address, or a dev key's name.
func resolveAddress(c *cli.Context, s string) (address.Address, error) {
	if k, ok := keystore.LookupDevKey(s); ok {
		return address.FromPublicKey(k.Public().(ed25519.PublicKey)), nil
	}
	return address.Parse(s)
}

// emit prints v as JSON with --output json, else the text line.
func emit(c *cli.Context, v any, text string) error {
	return emitTo(c.App.Writer, c.String("output"), v, text)
}

func emitTo(w io.Writer, format string, v any, text string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		return enc.Encode(v)
	case "text", "":
		_, err := fmt.Fprintln(w, text)
		return err
	}
	return fmt.Errorf("--output %q: text or json", format)
}
