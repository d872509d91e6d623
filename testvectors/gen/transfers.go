package main

import (
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// Transfers, fees and nonces, derived by hand from docs/protocol.md:
// gas = TxBaseGas (60,000) + TxByteGas (20) × signed bytes + TransferGas
// (20,000); the fee is gas × price, charged to the sender and credited
// to the proposer after the block's last transaction; the nonce bumps for
// every included transaction, failed ones too.

func send(to string, amount uint64) func(b *builder) tx.Body {
	return func(b *builder) tx.Body { return tx.Transfer{To: b.addr(to), Amount: canon.NewU256(amount)} }
}

// transferGas is a successful transfer's gas.
func transferGas(raw []byte) uint64 { return intrinsic(raw) + p.TransferGas }

const rich = 1_000_000_000

func init() {
	register("transfer",
		scenario{name: "simple", build: func(b *builder) {
			b.v.Description = "alice pays bob 1,000 at gas price 1"
			b.fund("alice", rich)
			raw := b.tx("alice", send("bob", 1000)(b))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("gas = 60000 + 20 × %d bytes + 20000 = %d; alice = %d − 1000 − %d; bob = 1000; proposer = %d", len(raw), g, rich, g, g)
			b.wantReceipt(blk, 0, 0, g)
			b.wantAccount(blk, "alice", rich-1000-g, 1)
			b.wantAccount(blk, "bob", 1000, 0)
			b.wantAccount(blk, "proposer", g, 0)
		}},
		scenario{name: "to-self", build: func(b *builder) {
			b.v.Description = "alice pays herself: only the fee leaves her account"
			b.fund("alice", rich)
			raw := b.tx("alice", send("alice", 500)(b))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("gas %d; alice = %d − %d", g, rich, g)
			b.wantReceipt(blk, 0, 0, g)
			b.wantAccount(blk, "alice", rich-g, 1)
		}},
		scenario{name: "zero-amount", build: func(b *builder) {
			b.v.Description = "a transfer of 0 succeeds and pays its gas; the recipient stays at 0"
			b.fund("alice", rich)
			raw := b.tx("alice", send("bob", 0)(b))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("gas %d; alice = %d − %d; bob has nothing", g, rich, g)
			b.wantReceipt(blk, 0, 0, g)
			b.wantAccount(blk, "alice", rich-g, 1)
			b.wantAccount(blk, "bob", 0, 0)
		}},
		scenario{name: "price-5", build: func(b *builder) {
			b.v.Description = "at gas price 5 the fee is five times the gas"
			b.fund("alice", rich)
			raw := b.tx("alice", send("bob", 7)(b), price(5))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("gas %d; fee 5 × %d = %d; alice = %d − 7 − %d; proposer = %d", g, g, 5*g, rich, 5*g, 5*g)
			b.wantReceipt(blk, 0, 0, g)
			b.wantAccount(blk, "alice", rich-7-5*g, 1)
			b.wantAccount(blk, "proposer", 5*g, 0)
		}},
		scenario{name: "two-in-a-block", build: func(b *builder) {
			b.v.Description = "alice sends twice in one block, nonces 0 and 1; the proposer gets both fees"
			b.fund("alice", rich)
			r1 := b.tx("alice", send("bob", 10)(b))
			r2 := b.tx("alice", send("carol", 20)(b))
			g1, g2 := transferGas(r1), transferGas(r2)
			blk := b.block(r1, r2)
			b.derive("gas %d and %d; alice = %d − 30 − %d; proposer = %d", g1, g2, rich, g1+g2, g1+g2)
			b.wantReceipt(blk, 0, 0, g1)
			b.wantReceipt(blk, 1, 0, g2)
			b.wantAccount(blk, "alice", rich-30-g1-g2, 2)
			b.wantAccount(blk, "proposer", g1+g2, 0)
		}},
		scenario{name: "insufficient-value", build: func(b *builder) {
			b.v.Description = "alice can pay the fee but not the value: failed (code 2), fee charged, nonce bumped, nothing moved"
			b.fund("alice", 200_000)
			raw := b.tx("alice", send("bob", 5_000_000)(b))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("code 2 (insufficient funds); gas %d (the transfer's gas is charged: the failure is found in execution); alice = 200000 − %d", g, g)
			b.wantReceipt(blk, 0, 2, g)
			b.wantAccount(blk, "alice", 200_000-g, 1)
			b.wantAccount(blk, "bob", 0, 0)
		}},
		scenario{name: "exact-balance", build: func(b *builder) {
			b.v.Description = "alice holds exactly the value plus the fee at her gas limit; she ends at the unused gas"
			raw0 := b.intrinsicOf("alice", send("bob", 100)(b))
			g := raw0 + p.TransferGas
			b.fund("alice", 100+g)
			raw := b.tx("alice", send("bob", 100)(b), gas(g))
			blk := b.block(raw)
			b.derive("gas limit = gas used = %d; alice funded %d + 100 ends at 0", g, g)
			b.wantReceipt(blk, 0, 0, g)
			b.wantAccount(blk, "alice", 0, 1)
			b.wantAccount(blk, "bob", 100, 0)
		}},
		scenario{name: "out-of-gas", build: func(b *builder) {
			b.v.Description = "a gas limit one short of the transfer's: out of gas (code 1), the whole limit is charged, no value moves"
			b.fund("alice", rich)
			need := b.intrinsicOf("alice", send("bob", 1)(b)) + p.TransferGas
			raw := b.tx("alice", send("bob", 1)(b), gas(need-1))
			blk := b.block(raw)
			b.derive("needed %d; limit %d; gas used = limit; alice = %d − %d", need, need-1, rich, need-1)
			b.wantReceipt(blk, 0, 1, need-1)
			b.wantAccount(blk, "alice", rich-(need-1), 1)
			b.wantAccount(blk, "bob", 0, 0)
		}},
		scenario{name: "new-account", build: func(b *builder) {
			b.v.Description = "a transfer creates its recipient; the recipient can spend in the next block"
			b.fund("alice", rich)
			r1 := b.tx("alice", send("dave", 500_000)(b))
			g1 := transferGas(r1)
			b1 := b.block(r1)
			// dave's fee cap must fit his 500,000: the exact gas as limit.
			r2 := b.tx("dave", send("alice", 1)(b), gas(b.intrinsicOf("dave", send("alice", 1)(b))+p.TransferGas))
			g2 := transferGas(r2)
			b2 := b.block(r2)
			b.derive("dave = 500000, then 500000 − 1 − %d", g2)
			b.wantReceipt(b1, 0, 0, g1)
			b.wantReceipt(b2, 0, 0, g2)
			b.wantAccount(b2, "dave", 500_000-1-g2, 1)
		}},
		scenario{name: "failed-then-ok", build: func(b *builder) {
			b.v.Description = "a failed transfer does not stop the next one in the block"
			b.fund("alice", 3_000_000)
			r1 := b.tx("alice", send("bob", 10_000_000)(b))
			r2 := b.tx("alice", send("bob", 5)(b))
			g1, g2 := transferGas(r1), transferGas(r2)
			blk := b.block(r1, r2)
			b.derive("codes 2 then 0; alice = 3000000 − %d − 5 − %d", g1, g2)
			b.wantReceipt(blk, 0, 2, g1)
			b.wantReceipt(blk, 1, 0, g2)
			b.wantAccount(blk, "alice", 3_000_000-g1-5-g2, 2)
		}},
		scenario{name: "fees-from-many", build: func(b *builder) {
			b.v.Description = "three senders; the proposer is credited the sum of their fees once, after the last transaction"
			for _, n := range []string{"alice", "bob", "carol"} {
				b.fund(n, rich)
			}
			var txs []testvectors.Hex
			var sum uint64
			for i, n := range []string{"alice", "bob", "carol"} {
				raw := b.tx(n, send("dave", uint64(i+1))(b), price(uint64(i+1)))
				sum += transferGas(raw) * uint64(i+1)
				txs = append(txs, raw)
			}
			blk := b.block(txs...)
			b.derive("proposer = Σ gas × price = %d", sum)
			b.wantAccount(blk, "proposer", sum, 0)
			b.wantAccount(blk, "dave", 6, 0)
		}},
		scenario{name: "pay-the-proposer", build: func(b *builder) {
			b.v.Description = "a transfer to the proposer: value during the block, fee after it"
			b.fund("alice", rich)
			raw := b.tx("alice", send("proposer", 1000)(b))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("proposer = 1000 + %d", g)
			b.wantAccount(blk, "proposer", 1000+g, 0)
		}},
		scenario{name: "proposer-spends-fees", build: func(b *builder) {
			b.v.Description = "fees credited in one block can be spent by the proposer in the next"
			b.fund("alice", rich)
			r1 := b.tx("alice", send("bob", 1)(b), price(2))
			fee := 2 * transferGas(r1)
			b.block(r1)
			limit := b.intrinsicOf("proposer", send("bob", 1)(b)) + p.TransferGas
			r2 := b.tx("proposer", send("bob", 1)(b), gas(limit))
			b2 := b.block(r2)
			b.derive("block 1 pays the proposer 2 × %d = %d; in block 2 it pays 1, and its own fee %d to itself: %d − 1", transferGas(r1), fee, limit, fee)
			b.wantReceipt(b2, 0, 0, limit)
			b.wantAccount(b2, "proposer", fee-1, 1)
		}},
		scenario{name: "empty-block", build: func(b *builder) {
			b.v.Description = "a block without transactions: no receipts, balances unchanged"
			b.fund("alice", rich)
			blk := b.block()
			b.derive("nothing moves: alice = %d", rich)
			b.wantAccount(blk, "alice", rich, 0)
		}},
		scenario{name: "three-blocks", build: func(b *builder) {
			b.v.Description = "a history: alice → bob, bob → carol, carol → alice"
			b.fund("alice", rich)
			r1 := b.tx("alice", send("bob", 400_000)(b))
			b.block(r1)
			r2 := b.tx("bob", send("carol", 300_000)(b))
			b.block(r2)
			r3 := b.tx("carol", send("alice", 200_000)(b))
			b3 := b.block(r3)
			g1, g2, g3 := transferGas(r1), transferGas(r2), transferGas(r3)
			b.derive("alice = %d − 400000 − %d + 200000; bob = 400000 − 300000 − %d; carol = 300000 − 200000 − %d; proposer = %d",
				rich, g1, g2, g3, g1+g2+g3)
			b.wantAccount(b3, "alice", rich-400_000-g1+200_000, 1)
			b.wantAccount(b3, "bob", 100_000-g2, 1)
			b.wantAccount(b3, "carol", 100_000-g3, 1)
			b.wantAccount(b3, "proposer", g1+g2+g3, 0)
		}},
	)
	register("invalid",
		scenario{name: "nonce-ahead", build: func(b *builder) {
			b.v.Description = "nonce 1 from an account at nonce 0: the block is invalid"
			b.fund("alice", rich)
			blk := b.block(b.tx("alice", send("bob", 1)(b), nonce(1)))
			b.derive("docs/protocol.md: the nonce must be the sender's next")
			b.wantInvalid(blk, 0, "nonce")
		}},
		scenario{name: "nonce-replayed", build: func(b *builder) {
			b.v.Description = "the same signed transaction again in a later block"
			b.fund("alice", rich)
			raw := b.tx("alice", send("bob", 1)(b))
			b.block(raw)
			blk := b.block(raw)
			b.derive("nonce 0 is used: invalid; the chain stays at block 1")
			b.wantInvalid(blk, 0, "nonce")
		}},
		scenario{name: "nonce-gap-in-block", build: func(b *builder) {
			b.v.Description = "nonces 0 then 2 in one block: the second is invalid, and so the block"
			b.fund("alice", rich)
			r1 := b.tx("alice", send("bob", 1)(b))
			r2 := b.tx("alice", send("bob", 1)(b), nonce(2))
			blk := b.block(r1, r2)
			b.derive("tx 1's nonce is not alice's next (1)")
			b.wantInvalid(blk, 1, "nonce")
		}},
		scenario{name: "chain-id", build: func(b *builder) {
			b.v.Description = "a transaction signed for another chain"
			b.fund("alice", rich)
			blk := b.block(b.tx("alice", send("bob", 1)(b), chain("another-chain")))
			b.derive("docs/protocol.md: the chain id must be the chain's")
			b.wantInvalid(blk, 0, "chain_id")
		}},
		scenario{name: "bad-signature", build: func(b *builder) {
			b.v.Description = "the signature's last byte flipped"
			b.fund("alice", rich)
			blk := b.block(b.tx("alice", send("bob", 1)(b), mangle(func(raw []byte) []byte {
				out := append([]byte(nil), raw...)
				out[len(out)-1] ^= 1
				return out
			})))
			b.derive("docs/protocol.md: ed25519 over SHA-256(plinth/tx\\0 ‖ tx bytes) must verify")
			b.wantInvalid(blk, 0, "signature")
		}},
		scenario{name: "gas-price-zero", build: func(b *builder) {
			b.v.Description = "gas price 0, below MinGasPrice 1"
			b.fund("alice", rich)
			blk := b.block(b.tx("alice", send("bob", 1)(b), price(0)))
			b.derive("MinGasPrice is 1 in version 1")
			b.wantInvalid(blk, 0, "gas_price")
		}},
		scenario{name: "gas-below-intrinsic", build: func(b *builder) {
			b.v.Description = "a gas limit below the intrinsic gas"
			b.fund("alice", rich)
			blk := b.block(b.tx("alice", send("bob", 1)(b), gas(60_000)))
			b.derive("intrinsic = 60000 + 20 × bytes > 60000")
			b.wantInvalid(blk, 0, "gas_limit")
		}},
		scenario{name: "cannot-pay", build: func(b *builder) {
			b.v.Description = "the sender cannot pay gas limit × price"
			b.fund("alice", 99_999)
			blk := b.block(b.tx("alice", send("bob", 1)(b)))
			b.derive("gas limit 100000 × price 1 > 99999")
			b.wantInvalid(blk, 0, "cannot_pay")
		}},
		scenario{name: "trailing-byte", build: func(b *builder) {
			b.v.Description = "a valid envelope with one byte appended"
			b.fund("alice", rich)
			blk := b.block(b.tx("alice", send("bob", 1)(b), mangle(func(raw []byte) []byte { return append(append([]byte(nil), raw...), 0) })))
			b.derive("docs/protocol.md Encoding: trailing bytes are refused")
			b.wantInvalid(blk, 0, "encoding")
		}},
		scenario{name: "unknown-account", build: func(b *builder) {
			b.v.Description = "a sender that was never funded cannot pay any fee"
			blk := b.block(b.tx("nobody", send("bob", 0)(b)))
			b.derive("balance 0 < gas limit × price")
			b.wantInvalid(blk, 0, "cannot_pay")
		}},
	)
}

// intrinsicOf is the intrinsic gas of body as b would sign it now (with
// the default limit and price), without using up a nonce. A gas option
// of the same number of CBOR bytes gives the same length.
func (b *builder) intrinsicOf(from string, body tx.Body) uint64 {
	n := b.nonces[from]
	raw := b.tx(from, body)
	b.nonces[from] = n
	return intrinsic(raw)
}
