package main

import (
	"crypto/sha256"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// wat assembles a test module; the generator stops on a bad one.
func (b *builder) wat(src string) []byte {
	code, err := vmtest.Wat(src)
	if err != nil && b.err == nil {
		b.err = err
	}
	return code
}

// straight is a module with one straight-line function: one segment of
// i32.const, i32.const, i32.add, drop, end.
const straight = `(module (func (export "f") i32.const 1 i32.const 2 i32.add drop))`

// branchy's g: i32.const 0; if nop end; end — the then arm never runs.
const branchy = `(module (func (export "g") i32.const 0 (if (then nop))))`

// storer's put writes the 4-byte value "abcd" under the 1-byte key "k".
const storer = `(module
	(import "plinth" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
	(memory 1)
	(data (i32.const 0) "kabcd")
	(func (export "put") (drop (call $w (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 4)))))`

// deployed sets up code from "dev" in block 1 (deploy) and block 2
// (instantiate), returning the contract's address.
func (b *builder) deployed(code []byte) address.Address {
	b.fund("dev", 100_000_000_000)
	b.block(b.tx("dev", tx.Deploy{Code: code}, gas(30_000_000)))
	b.block(b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(code)}, gas(1_000_000)))
	return address.Contract(b.addr("dev"), 0)
}

func init() {
	register("contract",
		scenario{name: "deploy-straight-line", build: func(b *builder) {
			b.v.Description = "deploy a module of one straight-line function"
			code := b.wat(straight)
			b.fund("dev", 100_000_000_000)
			raw := b.tx("dev", tx.Deploy{Code: code}, gas(30_000_000))
			blk := b.block(raw)
			// The body opens no block: its deepest nesting is 0, so the
			// nested term is 0.
			g := intrinsic(raw) + p.VM.Gas.DeployPerByte*uint64(len(code)) + p.CodeStorePerByte*uint64(len(code))
			b.derive("gas = intrinsic %d + DeployPerByte 5000 × %d bytes + DeployPerNestedByte 40 × (body bytes × nesting 0) + CodeStorePerByte 50 × %d = %d (docs/gas.md Compile cost, docs/protocol.md Gas and fees)",
				intrinsic(raw), len(code), len(code), g)
			b.wantReceipt(blk, 0, 0, g)
		}},
		scenario{name: "instantiate-no-init", build: func(b *builder) {
			b.v.Description = "instantiate code without an init export"
			code := b.wat(straight)
			b.fund("dev", 100_000_000_000)
			b.block(b.tx("dev", tx.Deploy{Code: code}, gas(30_000_000)))
			raw := b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(code)}, gas(1_000_000))
			blk := b.block(raw)
			g := intrinsic(raw) + p.InstantiateGas
			b.derive("gas = intrinsic %d + InstantiateGas 100000 = %d", intrinsic(raw), g)
			b.wantReceipt(blk, 0, 0, g)
		}},
		scenario{name: "call-straight-line", build: func(b *builder) {
			b.v.Description = "call a straight-line function: one segment"
			c := b.deployed(b.wat(straight))
			raw := b.tx("dev", tx.Call{Contract: c, Method: "f"}, gas(1_000_000))
			blk := b.block(raw)
			// Segment: const 1 + const 1 + add 1 + drop 1 + end 1 = 5, plus
			// SegmentCheck 2 and FunctionEntry 4.
			g := intrinsic(raw) + 5 + 2 + 4
			b.derive("gas = intrinsic %d + (5 instructions × 1 + SegmentCheck 2 + FunctionEntry 4 = 11) = %d (docs/gas.md How gas is charged)", intrinsic(raw), g)
			b.wantReceipt(blk, 0, 0, g)
		}},
		scenario{name: "call-if-not-taken", build: func(b *builder) {
			b.v.Description = "an if whose then arm does not run: its segment is not charged"
			c := b.deployed(b.wat(branchy))
			raw := b.tx("dev", tx.Call{Contract: c, Method: "g"}, gas(1_000_000))
			blk := b.block(raw)
			// Segment 1: const, if (ends a segment) = 2 + check 2 + entry 4 = 8.
			// Segment 2 (nop, end of the if) does not run. Segment 3: the
			// function's end = 1 + check 2 = 3.
			g := intrinsic(raw) + 8 + 3
			b.derive("gas = intrinsic %d + (const+if 2 + check 2 + entry 4) + (end 1 + check 2) = %d; the then arm's segment is never charged", intrinsic(raw), g)
			b.wantReceipt(blk, 0, 0, g)
		}},
		scenario{name: "call-storage-write", build: func(b *builder) {
			b.v.Description = "a call writing 4 bytes under a 1-byte key"
			c := b.deployed(b.wat(storer))
			raw := b.tx("dev", tx.Call{Contract: c, Method: "put"}, gas(1_000_000))
			blk := b.block(raw)
			// Instructions: 4 × const, call, drop, end = 7 weights of 1
			// except call (4): 4+4+1+1 = 10, + check 2 + entry 4 = 16.
			// Host: Base 200 + StorageWrite 10000 + StorageWritePerByte 50
			// × (1 + 4) + MemoryPerByte 1 × 5 bytes read.
			host := p.Host.Base + p.Host.StorageWrite + p.Host.StorageWritePerByte*5 + p.Host.MemoryPerByte*5
			g := intrinsic(raw) + 16 + host
			b.derive("gas = intrinsic %d + instructions (4 const + call 4 + drop + end = 10, + check 2 + entry 4 = 16) + storage_write (Base 200 + 10000 + 50 × 5 + 1 × 5 = %d) = %d (docs/abi.md)", intrinsic(raw), host, g)
			b.wantReceipt(blk, 0, 0, g)
		}},
		scenario{name: "call-unknown-contract", build: func(b *builder) {
			b.v.Description = "a call of an address with no contract: failed, code 6, intrinsic gas only"
			b.fund("alice", 100_000_000)
			raw := b.tx("alice", tx.Call{Contract: b.addr("bob"), Method: "f"}, gas(1_000_000))
			blk := b.block(raw)
			b.derive("code 6; gas = intrinsic %d", intrinsic(raw))
			b.wantReceipt(blk, 0, 6, intrinsic(raw))
		}},
		scenario{name: "call-no-method", build: func(b *builder) {
			b.v.Description = "a call of a method the module does not export: code 7, intrinsic gas only"
			c := b.deployed(b.wat(straight))
			raw := b.tx("dev", tx.Call{Contract: c, Method: "nope"}, gas(1_000_000))
			blk := b.block(raw)
			b.derive("code 7; gas = intrinsic %d", intrinsic(raw))
			b.wantReceipt(blk, 0, 7, intrinsic(raw))
		}},
		scenario{name: "call-with-funds", build: func(b *builder) {
			b.v.Description = "funds sent with a call land in the contract's balance"
			c := b.deployed(b.wat(straight))
			raw := b.tx("dev", tx.Call{Contract: c, Method: "f", Funds: canon.NewU256(777)}, gas(1_000_000))
			blk := b.block(raw)
			g := intrinsic(raw) + 11
			b.derive("gas %d as call-straight-line; the contract holds 777", g)
			b.wantReceipt(blk, 0, 0, g)
			b.watch = append(b.watch, c)
			b.hand = append(b.hand, handCheck{block: blk, account: c.String(), balance: ptrS("777"), nonce: ptrU(0)})
		}},
	)
}

func ptrS(s string) *string { return &s }
func ptrU(v uint64) *uint64 { return &v }

func sha(code []byte) [32]byte { return sha256.Sum256(code) }
