package main

import (
	"strconv"

	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Host function gas derived by hand from docs/abi.md ("Charging"): Base,
// then the function's price, then MemoryPerByte for each byte copied in
// or out of the contract's memory; plus the instructions around the call
// (docs/gas.md).

type hostGasCase struct {
	name, imports, data, body string
	instr                     uint64 // the instructions' gas
	host                      uint64
	why                       string
}

func hostGasCases() []hostGasCase {
	g := p.Host
	imp := func(name, sig string) string {
		return `(import "plinth" "` + name + `" (func $` + name + ` ` + sig + `))`
	}
	return []hostGasCase{
		{"block_height", imp("block_height", "(result i64)"), "", `(drop (call $block_height))`,
			4 + 1 + 1 + 2 + 4, g.Base, "call 4 + drop + end + check 2 + entry 4; host: Base 200"},
		{"log", imp("log", "(param i32 i32)"), "hello", `(call $log (i32.const 0) (i32.const 5))`,
			1 + 1 + 4 + 1 + 2 + 4, g.Base + g.MemoryPerByte*5, "2 const + call 4 + end + check 2 + entry 4; host: Base 200 + 5 bytes read × 1"},
		{"value_return", imp("value_return", "(param i32 i32)"), "abcd", `(call $value_return (i32.const 0) (i32.const 4))`,
			1 + 1 + 4 + 1 + 2 + 4, g.Base + g.MemoryPerByte*4, "2 const + call 4 + end + check 2 + entry 4; host: Base 200 + 4 bytes × 1"},
		{"sha256", imp("sha256", "(param i32 i32 i32)"), "abc", `(call $sha256 (i32.const 0) (i32.const 3) (i32.const 0))`,
			1 + 1 + 1 + 4 + 1 + 2 + 4, g.Base + g.Hash + g.Sha256PerByte*3 + g.MemoryPerByte*3, "3 const + call 4 + end + check 2 + entry 4; host: Base 200 + Hash 500 + Sha256PerByte 2 × 3 + 3 bytes read × 1"},
		{"keccak256", imp("keccak256", "(param i32 i32 i32)"), "abc", `(call $keccak256 (i32.const 0) (i32.const 3) (i32.const 0))`,
			1 + 1 + 1 + 4 + 1 + 2 + 4, g.Base + g.Hash + g.Keccak256PerByte*3 + g.MemoryPerByte*3, "3 const + call 4 + end + check 2 + entry 4; host: Base 200 + Hash 500 + Keccak256PerByte 6 × 3 + 3 bytes read × 1"},
		{"storage_read-miss", imp("storage_read", "(param i32 i32 i32) (result i32)"), "k", `(drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0)))`,
			1 + 1 + 1 + 4 + 1 + 1 + 2 + 4, g.Base + g.StorageRead + g.MemoryPerByte*1, "3 const + call 4 + drop + end + check 2 + entry 4; host: Base 200 + StorageRead 2000 + 1 key byte read × 1; a miss pays no StorageReadPerByte (docs/abi.md, corrected with this vector: it said the per-byte price applied to misses too)"},
		{"storage_read-hit", imp("storage_read", "(param i32 i32 i32) (result i32)") + imp("storage_write", "(param i32 i32 i32 i32) (result i32)"), "kvalue",
			`(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 5))) (drop (call $storage_read (i32.const 0) (i32.const 1) (i32.const 0)))`,
			(1 + 1 + 1 + 1 + 4 + 1) + (1 + 1 + 1 + 4 + 1) + 1 + 2 + 4,
			(g.Base + g.StorageWrite + g.StorageWritePerByte*6 + g.MemoryPerByte*6) + (g.Base + g.StorageRead + g.MemoryPerByte*1 + g.StorageReadPerByte*6),
			"write: 4 const + call 4 + drop; read: 3 const + call 4 + drop; end + check 2 + entry 4; host: write Base 200 + 10000 + 50 × 6 + 6 bytes read, read Base 200 + 2000 + 1 key byte read + StorageReadPerByte 2 × (1 + 5)"},
	}
}

func init() {
	for _, c := range hostGasCases() {
		c := c
		register("host-gas", scenario{name: c.name, build: func(b *builder) {
			b.v.Description = "the gas of one " + c.name + " call, worked out from docs/abi.md"
			src := `(module ` + c.imports + ` (memory 1) (data (i32.const 0) "` + c.data + `") (func (export "f") ` + c.body + `))`
			addr := b.deployed(b.wat(src))
			raw := b.tx("dev", tx.Call{Contract: addr, Method: "f"}, gas(1_000_000))
			blk := b.block(raw)
			total := intrinsic(raw) + c.instr + c.host
			b.derive("gas = intrinsic %d + instructions %d + host %d (%s) = %d", intrinsic(raw), c.instr, c.host, c.why, total)
			b.wantReceipt(blk, 0, 0, total)
		}})
	}
	// More transfers by hand: prices and amounts at the edges.
	for _, pr := range []uint64{2, 10, 1000} {
		pr := pr
		register("transfer", scenario{name: "price-" + itoa(pr) + "-fee", build: func(b *builder) {
			b.v.Description = "a transfer at gas price " + itoa(pr) + ": the fee is the gas times the price, all to the proposer"
			b.fund("alice", rich*10)
			raw := b.tx("alice", tx.Transfer{To: b.addr("bob"), Amount: canon.NewU256(1)}, price(pr))
			g := transferGas(raw)
			blk := b.block(raw)
			b.derive("gas %d; fee %d × %d = %d; alice = %d − 1 − fee", g, g, pr, g*pr, rich*10)
			b.wantReceipt(blk, 0, 0, g)
			b.wantAccount(blk, "alice", rich*10-1-g*pr, 1)
			b.wantAccount(blk, "proposer", g*pr, 0)
		}})
	}
	register("transfer", scenario{name: "whole-balance", build: func(b *builder) {
		b.v.Description = "alice sends everything but the fee; she ends at 0 and bob holds the rest"
		lim := b.intrinsicOf("alice", tx.Transfer{To: b.addr("bob"), Amount: canon.NewU256(1_000_000)}) + p.TransferGas
		b.fund("alice", 1_000_000+lim)
		raw := b.tx("alice", tx.Transfer{To: b.addr("bob"), Amount: canon.NewU256(1_000_000)}, gas(lim))
		blk := b.block(raw)
		b.derive("limit = gas = %d; alice %d − 1000000 − %d = 0", lim, 1_000_000+lim, lim)
		b.wantReceipt(blk, 0, 0, lim)
		b.wantAccount(blk, "alice", 0, 1)
		b.wantAccount(blk, "bob", 1_000_000, 0)
	}})
	register("device",
		scenario{name: "kind-and-metadata-limits", build: func(b *builder) {
			b.v.Description = "a kind over DeviceKindBytes (64) and metadata over DeviceMetadataBytes (4 KiB) are refused"
			b.fund("owner", 100_000_000_000)
			k1, k2 := b.deviceKey("a", sigs.Ed25519), b.deviceKey("b", sigs.Ed25519)
			long := make([]byte, 65)
			for i := range long {
				long[i] = 'k'
			}
			b.block(
				one(b, "owner", tx.DeviceRegister{KeyType: uint64(sigs.Ed25519), PublicKey: k1.Public().Bytes(), DeviceKind: string(long)}, 1_000_000),
				one(b, "owner", tx.DeviceRegister{KeyType: uint64(sigs.Ed25519), PublicKey: k2.Public().Bytes(), DeviceKind: "meter", Metadata: make([]byte, 4097)}, 1_000_000),
			)
		}},
	)
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
