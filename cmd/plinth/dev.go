package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/node"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
)

// devAccounts is how many prefunded dev accounts a dev chain has.
const devAccounts = 10

// devBalance funds each dev account: enough to deploy many Go contracts
// (a 2 MB module is about 10^10 gas at the minimum price).
const devBalance = "1000000000000000000000000"

func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run a single-node development chain",
		Description: `Starts a chain of one node on an embedded Pebble store, with ten prefunded
accounts dev0 … dev9 whose keys are well known (printed at start; never use
them on a real chain, which refuses them), and the HTTP API.

   plinth dev                          # a fresh chain in a temporary directory
   plinth dev --home ~/.plinth-dev     # a chain that survives restarts
   plinth dev --block-time 0           # a block as soon as a transaction arrives`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "home", Usage: "directory of the chain's data (default: a new temporary directory)"},
			&cli.StringFlag{Name: "api", Value: "127.0.0.1:8680", Usage: "address the HTTP API listens on"},
			&cli.DurationFlag{Name: "block-time", Value: time.Second, Usage: "time between blocks; 0 makes a block on each transaction"},
		},
		Action: runDev,
	}
}

func runDev(c *cli.Context) error {
	home := c.String("home")
	if home == "" {
		dir, err := os.MkdirTemp("", "plinth-dev-")
		if err != nil {
			return err
		}
		home = dir
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("dev: home %s: %w", home, err)
	}
	keys := keystore.DevKeys(devAccounts)
	_, statErr := os.Stat(filepath.Join(home, "genesis.json"))
	fresh := errors.Is(statErr, os.ErrNotExist)
	g, err := devGenesis(filepath.Join(home, "genesis.json"), keys)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelInfo}))
	apiCfg := api.DefaultConfig()
	apiCfg.Addr = c.String("api")
	return serve(c, node.Config{
		Home: home, Genesis: g, API: apiCfg, BlockTime: c.Duration("block-time"),
		Proposer: address.FromPublicKey(keys[0].Public().(ed25519.PublicKey)),
		// A dev chain simulates anything a block could hold, deploys of
		// Go contracts included, so that gas estimation covers them.
		QueryGasCap: g.Params.MaxBlockGas, Logger: log,
		NewPool: func(st node.HeadState) node.Pool { return mempool.New(mempool.DefaultConfig(), st, log) },
	}, func(*node.Node) {
		printDevKeys(c.App.Writer, home, apiCfg.Addr, keys)
		printDemo(c.App.Writer)
		if fresh {
			go func() {
				logDemo(log, bootstrapDemo(c.Context, client.New("http://"+apiCfg.Addr), g.ChainID, keys))
			}()
		}
	})
}

// devGenesis reads the dev chain's genesis from path, or writes a new one:
// the chain must be the same one when restarted on the same home.
func devGenesis(path string, keys []ed25519.PrivateKey) (*runtime.Genesis, error) {
	if _, err := os.Stat(path); err == nil {
		return runtime.LoadGenesis(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	type account struct {
		Address string `json:"address"`
		Balance string `json:"balance"`
	}
	var accounts []account
	for _, k := range keys {
		accounts = append(accounts, account{Address: address.FromPublicKey(k.Public().(ed25519.PublicKey)).String(), Balance: devBalance})
	}
	demoContracts, err := demoGenesisContracts(filepath.Dir(path), keys)
	if err != nil {
		return nil, err
	}
	g := map[string]any{
		"contracts":    demoContracts,
		"chain_id":     "plinth-dev",
		"genesis_time": time.Now().UTC().Truncate(time.Second).Format(time.RFC3339),
		"dev":          true,
		"accounts":     accounts,
		"validators":   []map[string]any{{"public_key": hex.EncodeToString(keys[0].Public().(ed25519.PublicKey)), "power": 1, "name": "dev"}},
		"governance":   demoCommunity().Governance.String(),
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("dev: write genesis: %w", err)
	}
	return runtime.LoadGenesis(path)
}

func printDevKeys(w io.Writer, home, apiAddr string, keys []ed25519.PrivateKey) {
	fmt.Fprintf(w, "plinth %s: dev chain in %s, API on http://%s\n\n", version, home, apiAddr)
	fmt.Fprintln(w, "Dev accounts (well-known keys: for this dev chain only):")
	for i, k := range keys {
		fmt.Fprintf(w, "  dev%d  %s  %s\n", i, address.FromPublicKey(k.Public().(ed25519.PublicKey)), hex.EncodeToString(k.Seed()))
	}
	fmt.Fprintln(w)
}
