package main

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// Multi-block histories and more failure paths, generated.

// counterWat: incr adds one to a u64 under "n" and returns it.
const counterWat = `(module
	(import "plinth" "storage_read" (func $r (param i32 i32 i32) (result i32)))
	(import "plinth" "read_register" (func $read (param i32 i32)))
	(import "plinth" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "value_return" (func $ret (param i32 i32)))
	(memory 1) (data (i32.const 0) "n")
	(func (export "incr")
		(if (call $r (i32.const 0) (i32.const 1) (i32.const 0)) (then (call $read (i32.const 0) (i32.const 8))))
		(i64.store (i32.const 8) (i64.add (i64.load (i32.const 8)) (i64.const 1)))
		(drop (call $w (i32.const 0) (i32.const 1) (i32.const 8) (i32.const 8)))
		(call $ret (i32.const 8) (i32.const 8))))`

func init() {
	names := []string{"alice", "bob", "carol", "dave", "erin"}
	for seed := uint64(1); seed <= 12; seed++ {
		seed := seed
		register("history", scenario{name: fmt.Sprintf("random-%02d", seed), build: func(b *builder) {
			b.v.Description = fmt.Sprintf("eight blocks of random transfers among five accounts, some failing (seed %d)", seed)
			r := rand.New(rand.NewPCG(seed, 99))
			for _, n := range names {
				b.fund(n, 10_000_000)
			}
			for range 8 {
				var txs []testvectors.Hex
				for range r.IntN(6) {
					from, to := names[r.IntN(5)], names[r.IntN(5)]
					amount := r.Uint64N(12_000_000) // sometimes more than the sender holds
					txs = append(txs, b.tx(from, tx.Transfer{To: b.addr(to), Amount: canon.NewU256(amount)}, price(1+r.Uint64N(3))))
				}
				b.block(txs...)
			}
		}})
	}
	register("history",
		scenario{name: "counter-across-blocks", build: func(b *builder) {
			b.v.Description = "a counter contract incremented by several senders over several blocks"
			c := b.deployed(b.wat(counterWat))
			for _, n := range []string{"alice", "bob"} {
				b.fund(n, 100_000_000)
			}
			for i := range 4 {
				b.block(b.tx("alice", tx.Call{Contract: c, Method: "incr"}, gas(1_000_000)), b.tx("bob", tx.Call{Contract: c, Method: "incr"}, gas(1_000_000)))
				if i == 2 {
					b.block()
				}
			}
		}},
	)
	// Calls between contracts: re-entry, depth, funds, a failing dispatch.
	relay := `(module
		(import "plinth" "input" (func $input (param i32)))
		(import "plinth" "read_register" (func $read (param i32 i32)))
		(import "plinth" "register_len" (func $len (param i32) (result i64)))
		(import "plinth" "call" (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
		(import "plinth" "dispatch" (func $dispatch (param i32 i32 i32 i32 i32 i32)))
		(import "plinth" "value_return" (func $ret (param i32 i32)))
		(memory 1)
		(data (i32.const 100) "hop")
		(data (i32.const 330) "\03\e8") ;; 32 bytes at 300: the amount 1000
		;; hop(input = addresses): call the first's hop with the rest (funds at
		;; the pointer given), return its return value, or its failure code
		(func $hop (param $funds i32)
			(local $n i32) (local $code i32)
			(call $input (i32.const 0))
			(local.set $n (i32.wrap_i64 (call $len (i32.const 0))))
			(call $read (i32.const 0) (i32.const 1000))
			(if (i32.lt_u (local.get $n) (i32.const 20)) (then
				(i32.store (i32.const 0) (i32.const 0))
				(call $ret (i32.const 0) (i32.const 4))
				(return)))
			(local.set $code (call $call (i32.const 1000) (i32.const 100) (i32.const 3) (i32.const 1020) (i32.sub (local.get $n) (i32.const 20)) (local.get $funds) (i32.const 1)))
			(if (i32.eqz (local.get $code)) (then
				(call $read (i32.const 1) (i32.const 500))
				(call $ret (i32.const 500) (i32.wrap_i64 (call $len (i32.const 1))))
				(return)))
			(i32.store (i32.const 0) (local.get $code))
			(call $ret (i32.const 0) (i32.const 4)))
		(func (export "hop") (call $hop (i32.const 400)))
		(func (export "pay") (call $hop (i32.const 300)))
		;; later(input = an address): dispatch its hop with 1000 tokens
		(func (export "later")
			(call $input (i32.const 0))
			(call $read (i32.const 0) (i32.const 1000))
			(call $dispatch (i32.const 1000) (i32.const 100) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 300))))`
	hops := func(b *builder, n int) []address.Address {
		code := b.wat(relay)
		b.fund("dev", 100_000_000_000)
		b.block(b.tx("dev", tx.Deploy{Code: code}, gas(30_000_000)))
		var insts []testvectors.Hex
		var out []address.Address
		for i := range n {
			insts = append(insts, b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(code)}, gas(1_000_000)))
			out = append(out, address.Contract(b.addr("dev"), uint64(i)))
		}
		b.block(insts...)
		return out
	}
	chainOf := func(as ...address.Address) []byte {
		var in []byte
		for _, a := range as {
			in = append(in, a[:]...)
		}
		return in
	}
	register("calls",
		scenario{name: "reentry", build: func(b *builder) {
			b.v.Description = "A calls B which calls A: B's call of A fails with code 12, which B returns; A goes on"
			c := hops(b, 2)
			b.block(b.tx("dev", tx.Call{Contract: c[0], Method: "hop", Input: chainOf(c[1], c[0])}, gas(5_000_000)))
		}},
		scenario{name: "depth", build: func(b *builder) {
			b.v.Description = "a chain of nine distinct contracts: the ninth call exceeds MaxCallDepth 8 (code 13), reported up the chain"
			c := hops(b, 10)
			b.block(b.tx("dev", tx.Call{Contract: c[0], Method: "hop", Input: chainOf(c[1:]...)}, gas(50_000_000)))
		}},
		scenario{name: "call-funds-short", build: func(b *builder) {
			b.v.Description = "a contract calls with 1,000 tokens it does not hold: code 2 comes back; with funds sent first, the call succeeds"
			c := hops(b, 2)
			b.block(
				b.tx("dev", tx.Call{Contract: c[0], Method: "pay", Input: chainOf(c[1])}, gas(5_000_000)),
				b.tx("dev", tx.Call{Contract: c[0], Method: "pay", Input: chainOf(c[1]), Funds: canon.NewU256(1000)}, gas(5_000_000)),
			)
		}},
		scenario{name: "dispatch-fails-frame", build: func(b *builder) {
			b.v.Description = "a dispatched call that fails (it sends funds the dispatcher lacks) fails the dispatching transaction whole"
			c := hops(b, 2)
			b.block(
				b.tx("dev", tx.Call{Contract: c[0], Method: "later", Input: chainOf(c[1])}, gas(5_000_000)),
				b.tx("dev", tx.Call{Contract: c[0], Method: "later", Input: chainOf(c[1]), Funds: canon.NewU256(1000)}, gas(5_000_000)),
			)
		}},
		scenario{name: "instantiate-funds-short", build: func(b *builder) {
			b.v.Description = "an instantiation sending more than the sender holds beyond its fee: code 2, no contract"
			code := b.wat(straight)
			b.fund("dev", 40_000_000)
			b.block(b.tx("dev", tx.Deploy{Code: code}, gas(30_000_000)))
			b.block(b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(code), Funds: canon.NewU256(1_000_000_000)}, gas(1_000_000)))
		}},
		scenario{name: "migrate-without-admin", build: func(b *builder) {
			b.v.Description = "a contract instantiated without an admin can never be migrated: code 14 for its creator too"
			c := b.deployed(b.wat(straight))
			b.block(b.tx("dev", tx.Migrate{Contract: c, CodeHash: sha256.Sum256(b.wat(straight))}, gas(1_000_000)))
		}},
	)
	// Host function limits: each refusal ends the call with code 11.
	lim := func(name, imports, body string) scenario {
		return scenario{name: name, build: func(b *builder) {
			b.v.Description = "a host function refused for a limit: code 11 (" + name + ")"
			c := b.deployed(b.wat(hostModule(imports, "", body)))
			b.block(b.tx("dev", tx.Call{Contract: c, Method: "run"}, gas(5_000_000)))
		}}
	}
	imp := func(name, sig string) string {
		return `(import "plinth" "` + name + `" (func $` + name + ` ` + sig + `))`
	}
	register("limits",
		lim("value-too-large", imp("storage_write", "(param i32 i32 i32 i32) (result i32)"), `(drop (call $storage_write (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 524289)))`),
		lim("event-too-large", imp("emit", "(param i32 i32 i32 i32)"), `(call $emit (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 16385))`),
		lim("method-name-too-long", imp("call", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), `(drop (call $call (i32.const 0) (i32.const 0) (i32.const 129) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))`),
		lim("range-limit", imp("storage_range", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), `(drop (call $storage_range (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 1025) (i32.const 0) (i32.const 0)))`),
		lim("history-limit", imp("attestation_history", "(param i32 i64 i64 i32 i32) (result i32)"), `(drop (call $attestation_history (i32.const 0) (i64.const 0) (i64.const 9) (i32.const 257) (i32.const 0)))`),
		lim("register-out-of-range", imp("input", "(param i32)"), `(call $input (i32.const 64))`),
		lim("remove-key-too-long", imp("storage_remove", "(param i32 i32) (result i32)"), `(drop (call $storage_remove (i32.const 0) (i32.const 600)))`),
		lim("kind-too-long", imp("attestation_latest", "(param i32 i32 i32 i32) (result i32)"), `(drop (call $attestation_latest (i32.const 0) (i32.const 0) (i32.const 513) (i32.const 0)))`),
	)
}
