package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/node"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/home"
	"github.com/plinthchain/plinth/node/mempool"
	"github.com/plinthchain/plinth/runtime/address"
)

// defaultHome is where init and node run keep a node unless --home says.
func defaultHome() string {
	dir, err := os.UserHomeDir()
	if err != nil {
		return ".plinth"
	}
	return filepath.Join(dir, ".plinth", "node")
}

var homeFlag = &cli.StringFlag{Name: "home", Usage: "the node's home directory (default ~/.plinth/node)", EnvVars: []string{"PLINTH_HOME"}}

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create a node home for a new chain with this node as its single validator",
		Description: `Writes config.toml, genesis.json (this node's key as the only validator) and
node_key.json into the home directory (docs/node.md); refuses a directory that
already has any of them. Start the node with plinth node run.

   plinth init --home ~/grid --chain-id solar-coop-1 --fund plinth1…=1000000000000`,
		Flags: []cli.Flag{
			homeFlag,
			&cli.StringFlag{Name: "chain-id", Required: true, Usage: "the new chain's id (transactions are signed for it)"},
			&cli.StringFlag{Name: "moniker", Value: "node", Usage: "the node's name, for people"},
			&cli.StringSliceFlag{Name: "fund", Usage: "ADDRESS=AMOUNT funded at genesis (repeatable); the first is governance unless --governance"},
			&cli.StringFlag{Name: "governance", Usage: "the privileged address that may change parameters and validators"},
			outputFlag,
		},
		Action: func(c *cli.Context) error {
			dir := c.String("home")
			if dir == "" {
				dir = defaultHome()
			}
			opts := home.Options{ChainID: c.String("chain-id"), Moniker: c.String("moniker"), Time: time.Now()}
			for _, f := range c.StringSlice("fund") {
				addr, amount, ok := strings.Cut(f, "=")
				a, err := address.Parse(addr)
				if !ok || err != nil {
					return fmt.Errorf("--fund %q: want ADDRESS=AMOUNT with a plinth1… address", f)
				}
				opts.Accounts = append(opts.Accounts, home.Funded{Address: a, Amount: amount})
			}
			if g := c.String("governance"); g != "" {
				a, err := address.Parse(g)
				if err != nil {
					return fmt.Errorf("--governance: %w", err)
				}
				opts.Governance = a
			}
			h, err := home.Init(dir, opts)
			if err != nil {
				return err
			}
			out := struct {
				Home      string `json:"home"`
				ChainID   string `json:"chain_id"`
				Validator string `json:"validator"`
			}{h.Dir, h.Genesis.ChainID, h.Address().String()}
			return emit(c, out, fmt.Sprintf("initialized chain %s in %s; validator %s\nstart it with: plinth node run --home %s", out.ChainID, out.Home, out.Validator, out.Home))
		},
	}
}

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "run a node",
		Subcommands: []*cli.Command{{
			Name:  "run",
			Usage: "run the node in --home: alone as the chain's single validator, or in a network of validators",
			Description: `Runs until SIGINT or SIGTERM, then finishes the block in flight and closes
the store. Restarting resumes the chain (a validator replays its consensus
log first, and never signs anything conflicting with what it signed).
With consensus.mode = "bft" in config.toml the node joins its peers over
libp2p (p2p.listen, p2p.bootstrap, p2p.mdns) and takes part in consensus
while its key is in the validator set, following the chain otherwise.

   plinth node run --home ~/grid
   plinth node run --home testnet/node2`,
			Flags: []cli.Flag{homeFlag,
				&cli.StringFlag{Name: "api", Usage: "address the HTTP API listens on (overrides config.toml)"}},
			Action: runNode,
		}},
	}
}

func runNode(c *cli.Context) error {
	dir := c.String("home")
	if dir == "" {
		dir = defaultHome()
	}
	h, err := home.Load(dir)
	if err != nil {
		return err
	}
	cfg := h.Config
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: level}))
	var network *node.Network
	if cfg.Consensus.Mode == "bft" {
		network = &node.Network{Key: h.Key, Listen: cfg.P2P.Listen, Bootstrap: cfg.P2P.Bootstrap, MDNS: cfg.P2P.MDNS}
		if v := os.Getenv("PLINTH_TEST_P2P_DROP_PERCENT"); v != "" {
			// Fault injection for tests (docs/p2p.md): drop this share of
			// what peers send.
			pct, err := strconv.Atoi(v)
			if err != nil || pct < 0 || pct > 100 {
				return fmt.Errorf("node run: PLINTH_TEST_P2P_DROP_PERCENT=%q: a percentage from 0 to 100", v)
			}
			network.DropPercent = pct
			log.Warn("fault injection: dropping p2p messages", "percent", pct)
		}
	} else if !h.IsValidator() {
		// Solo production: the node makes every block, so it must be the
		// validator set. Joining a network of validators is BFT's job.
		return fmt.Errorf("node run: the node key (%s) is not in the genesis validator set (a network of validators needs consensus.mode = \"bft\")", h.Address())
	}
	apiCfg := api.Config{Addr: cfg.API.Addr, MaxBodyBytes: cfg.API.MaxBodyBytes, MaxConcurrent: cfg.API.MaxConcurrent, Timeout: cfg.API.Timeout.Duration}
	if a := c.String("api"); a != "" {
		apiCfg.Addr = a
	}
	pool := mempool.Config{MaxTxs: cfg.Mempool.MaxTxs, MaxBytes: cfg.Mempool.MaxBytes,
		MaxFuturePerSender: cfg.Mempool.MaxFuturePerSender, ReplaceBumpPercent: cfg.Mempool.ReplaceBumpPercent}
	return serve(c, node.Config{
		Home: h.DataPath(), Genesis: h.Genesis, API: apiCfg, BlockTime: cfg.BlockTime.Duration,
		Proposer: h.Address(), QueryGasCap: cfg.QueryGasCap, Logger: log,
		NewPool: func(st node.HeadState) node.Pool { return mempool.New(pool, st, log) },
		Network: network,
	}, nil)
}

// serve runs a node until SIGINT or SIGTERM (or the command's context
// ends), finishing the block in flight; started runs once it listens.
func serve(c *cli.Context, cfg node.Config, started func(*node.Node)) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.Now = func() uint64 { return uint64(time.Now().UnixMilli()) }
	n, err := node.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer n.Close(context.WithoutCancel(ctx))
	if started != nil {
		started(n)
	}
	if err := n.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
