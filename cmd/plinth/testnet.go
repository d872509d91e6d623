package main

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/node/home"
	"github.com/plinthchain/plinth/node/p2p"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
)

func testnetCommand() *cli.Command {
	return &cli.Command{
		Name:  "testnet",
		Usage: "write the homes of a local network of validators (one per node, on 127.0.0.1)",
		Description: `Writes DIR/node0 … DIR/node{N-1}: one genesis with the N nodes as
validators of power 1, each validator's account funded, and each
config.toml set to consensus.mode = "bft" with distinct API and p2p ports
and the validators as bootstrap peers. --followers adds nodes after them
that sync and follow the chain without voting. Start each node in its own
terminal.

   plinth testnet --validators 4 --dir testnet
   plinth node run --home testnet/node0`,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "validators", Value: 4, Usage: "how many validator nodes"},
			&cli.IntFlag{Name: "followers", Usage: "how many more nodes that follow the chain without voting (numbered after the validators)"},
			&cli.StringFlag{Name: "dir", Value: "testnet", Usage: "where the homes go"},
			&cli.StringFlag{Name: "chain-id", Value: "plinth-testnet", Usage: "the chain's id"},
			&cli.IntFlag{Name: "api-port", Value: 8680, Usage: "node i's API listens on this port + i"},
			&cli.IntFlag{Name: "p2p-port", Value: 26656, Usage: "node i's libp2p host listens on this port + i"},
			&cli.StringFlag{Name: "block-time", Value: "1s", Usage: "least time between a block and the next (the genesis parameter Consensus.BlockInterval; below the 3s propose timeout)"},
			&cli.StringFlag{Name: "balance", Value: "1000000000000000000000", Usage: "each node account's genesis balance"},
		},
		Action: runTestnet,
	}
}

func runTestnet(c *cli.Context) error {
	n, followers := c.Int("validators"), c.Int("followers")
	if n < 1 || n > 100 || followers < 0 || followers > 100 {
		return fmt.Errorf("testnet: --validators %d --followers %d: 1 to 100 validators, up to 100 followers", n, followers)
	}
	total := n + followers
	dir := c.String("dir")
	blockTime, err := time.ParseDuration(c.String("block-time"))
	if err != nil || blockTime < 0 {
		return fmt.Errorf("testnet: --block-time %q: a duration like 1s", c.String("block-time"))
	}
	apiPort, p2pPort := c.Int("api-port"), c.Int("p2p-port")
	if apiPort < 1 || apiPort+total > 65535 || p2pPort < 1 || p2pPort+total > 65535 {
		return fmt.Errorf("testnet: ports %d and %d leave no room for %d nodes", apiPort, p2pPort, total)
	}
	keys := make([]ed25519.PrivateKey, total)
	names := make([]string, total)
	vals := make([]runtime.Validator, n)
	accounts := make([]home.Funded, n)
	addrs := make([]string, total)
	for i := range keys {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		pub := k.Public().(ed25519.PublicKey)
		id, err := p2p.PeerIDOf(pub)
		if err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		keys[i], names[i] = k, fmt.Sprintf("node%d", i)
		addrs[i] = fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", p2pPort+i, id)
		if i < n {
			vals[i] = runtime.Validator{PublicKey: pub, Power: 1, Name: names[i]}
			accounts[i] = home.Funded{Address: address.FromPublicKey(pub), Amount: c.String("balance")}
		}
	}
	genesisTime := time.Now()
	out := c.App.Writer
	for i := range keys {
		cfg := home.DefaultConfig(names[i])
		cfg.API.Addr = fmt.Sprintf("127.0.0.1:%d", apiPort+i)
		cfg.Consensus.Mode = "bft"
		cfg.P2P.Listen = []string{fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", p2pPort+i)}
		cfg.P2P.Bootstrap = []string{}
		for j, a := range addrs[:n] {
			if j != i {
				cfg.P2P.Bootstrap = append(cfg.P2P.Bootstrap, a)
			}
		}
		nodeDir := filepath.Join(dir, names[i])
		if _, err := home.Init(nodeDir, home.Options{
			ChainID: c.String("chain-id"), Moniker: names[i], Time: genesisTime, Accounts: accounts,
			Governance: accounts[0].Address, Key: keys[i], Validators: vals, Config: &cfg,
			Params: map[string]any{"Consensus": map[string]any{"BlockInterval": blockTime.Milliseconds()}},
		}); err != nil {
			return fmt.Errorf("testnet: %w", err)
		}
		role := "validator"
		if i >= n {
			role = "follower"
		}
		fmt.Fprintf(out, "%s (%s): http://%s  (plinth node run --home %s)\n", names[i], role, cfg.API.Addr, nodeDir)
	}
	fmt.Fprintf(out, "chain %s: %d validators, %d followers in %s\n", c.String("chain-id"), n, followers, dir)
	return nil
}
