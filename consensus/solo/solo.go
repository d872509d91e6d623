// Package solo produces blocks alone: the dev chain's consensus. Every
// BlockTime it takes transactions from its source, proposes a block on the
// chain and tells the source what was included; with BlockTime 0 it
// produces as soon as it is notified of a transaction. A transaction that
// makes the block invalid (its sender's state moved since it was pooled)
// is dropped from the source and the block is proposed again without it.
//
// It reads no clock of its own: the node hands it one, so that the
// package stays free of wall-clock reads like all consensus code.
package solo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
)

// Chain is where blocks go (runtime/chain.Chain).
type Chain interface {
	Head() (block.Header, [32]byte)
	Propose(ctx context.Context, txs [][]byte, time uint64, proposer address.Address) (*block.Block, *runtime.Output, error)
}

// TxSource is where transactions come from (the node's mempool).
type TxSource interface {
	Reap(maxGas uint64, maxBytes int) [][]byte
	Update(included [][]byte)
	Remove(hash [32]byte)
}

// Config configures a Producer.
type Config struct {
	// BlockTime is the time between blocks; 0 produces a block as soon
	// as a transaction arrives (Notify), and none otherwise.
	BlockTime time.Duration
	// Proposer receives the blocks' fees.
	Proposer address.Address
	// MaxGas and MaxBytes bound what one block takes from the source
	// (the chain's own limits apply too).
	MaxGas   uint64
	MaxBytes int
	// Now returns the time in ms since the Unix epoch.
	Now func() uint64
	// OnBlock, if set, is told of each committed block.
	OnBlock func(*block.Block, *runtime.Output)
}

// Producer produces blocks until its context ends.
type Producer struct {
	cfg    Config
	chain  Chain
	txs    TxSource
	log    *slog.Logger
	notify chan struct{}
}

// New returns a producer; Run starts it.
func New(cfg Config, chain Chain, txs TxSource, log *slog.Logger) *Producer {
	return &Producer{cfg: cfg, chain: chain, txs: txs, log: log, notify: make(chan struct{}, 1)}
}

// Notify tells the producer a transaction arrived (it matters with
// BlockTime 0).
func (p *Producer) Notify() {
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Run produces blocks until ctx ends; a block being made when it ends is
// finished first (graceful shutdown). It returns ctx's error, or the
// error that stopped production (a node failure: the store failed).
func (p *Producer) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if p.cfg.BlockTime > 0 {
		t := time.NewTicker(p.cfg.BlockTime)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		case <-p.notify:
			if p.cfg.BlockTime > 0 {
				continue // blocks come on the tick
			}
		}
		// The block in flight finishes even if ctx ends meanwhile.
		if _, err := p.Produce(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}
}

// Produce makes one block now from what the source holds, dropping any
// transaction that makes it invalid, and returns it.
func (p *Producer) Produce(ctx context.Context) (*block.Block, error) {
	for attempt := 0; ; attempt++ {
		txs := p.txs.Reap(p.cfg.MaxGas, p.cfg.MaxBytes)
		head, _ := p.chain.Head()
		t := max(p.cfg.Now(), head.Time+1)
		b, out, err := p.chain.Propose(ctx, txs, t, p.cfg.Proposer)
		var bad *runtime.InvalidTxError
		switch {
		case err == nil:
			p.txs.Update(txs)
			p.log.Info("block", "height", b.Header.Height, "txs", len(txs), "gas", out.GasUsed)
			if p.cfg.OnBlock != nil {
				p.cfg.OnBlock(b, out)
			}
			return b, nil
		case errors.As(err, &bad) && attempt < len(txs):
			p.log.Warn("dropping an invalid transaction", "tx", fmt.Sprintf("%x", bad.Hash), "err", bad.Err)
			p.txs.Remove(bad.Hash)
		default:
			return nil, fmt.Errorf("solo: produce block %d: %w", head.Height+1, err)
		}
	}
}
