package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"strings"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/canon"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// The administering host functions (update_admin, clear_admin,
// dispatch_migrate) and the privileged ones succeeding for the address
// genesis names.

func init() {
	imp := func(name, sig string) string {
		return `(import "plinth" "` + name + `" (func $` + name + ` ` + sig + `))`
	}
	register("host", scenario{name: "administering", build: func(b *builder) {
		b.v.Description = "contract A administers B and C: it moves B to other code with dispatch_migrate (B's migrate runs), hands B to dev with update_admin, and clears C's admin for good; a stranger contract's attempts are refused (14), and so are A's once B is dev's and anyone's migration of C"
		b.fund("dev", 100_000_000_000)
		target, target2 := b.wat(straight), b.wat(migratable)
		// A's memory: B's address at 0, target2's hash at 20, dev's address
		// at 52, C's address at 72.
		dev := b.addr("dev")
		bAddr, cAddr := address.Contract(dev, 1), address.Contract(dev, 3)
		h2 := sha256.Sum256(target2)
		imports := imp("dispatch_migrate", "(param i32 i32 i32 i32)") + imp("update_admin", "(param i32 i32)") + imp("clear_admin", "(param i32)")
		src := strings.Replace(hostModule(imports, watHex(bAddr[:])+watHex(h2[:])+watHex(dev[:])+watHex(cAddr[:]), `nop`), `(func (export "run") nop))`,
			`(func (export "migrate_b") (call $dispatch_migrate (i32.const 0) (i32.const 20) (i32.const 0) (i32.const 0)))
			 (func (export "give_b") (call $update_admin (i32.const 0) (i32.const 52)))
			 (func (export "clear_b") (call $clear_admin (i32.const 0)))
			 (func (export "clear_c") (call $clear_admin (i32.const 72))))`, 1)
		a := b.wat(src)
		b.block(b.tx("dev", tx.Deploy{Code: a}, gas(30_000_000)), b.tx("dev", tx.Deploy{Code: target}, gas(30_000_000)), b.tx("dev", tx.Deploy{Code: target2}, gas(30_000_000)))
		aAddr := address.Contract(dev, 0)
		b.block(
			b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(a)}, gas(1_000_000)),                       // A = contract 0
			b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(target), Admin: aAddr[:]}, gas(1_000_000)), // B = contract 1, administered by A
			b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(a)}, gas(1_000_000)),                       // A2 = contract 2, a stranger to B
			b.tx("dev", tx.Instantiate{CodeHash: sha256.Sum256(target), Admin: aAddr[:]}, gas(1_000_000)), // C = contract 3, administered by A
		)
		stranger := address.Contract(dev, 2)
		var txs []testvectors.Hex
		for _, c := range []struct {
			who    address.Address
			method string
		}{{stranger, "migrate_b"}, {aAddr, "migrate_b"}, {stranger, "give_b"}, {aAddr, "give_b"}} {
			txs = append(txs, b.tx("dev", tx.Call{Contract: c.who, Method: c.method}, gas(5_000_000)))
		}
		b.block(txs...)
		// B is dev's now: A can no longer clear it, dev can migrate it. A
		// clears C, which nobody can migrate after.
		b.block(
			b.tx("dev", tx.Call{Contract: aAddr, Method: "clear_b"}, gas(5_000_000)),
			b.tx("dev", tx.Migrate{Contract: bAddr, CodeHash: sha256.Sum256(target)}, gas(1_000_000)),
			b.tx("dev", tx.Call{Contract: aAddr, Method: "clear_c"}, gas(5_000_000)),
			b.tx("dev", tx.Call{Contract: aAddr, Method: "clear_c"}, gas(5_000_000)),
		)
	}})
	register("host", scenario{name: "privileged", build: func(b *builder) {
		b.v.Description = "the privileged address genesis names is a contract: its set_params (from a later height) and set_validators succeed; a past height is refused (16)"
		gov := address.Contract(b.addr("dev"), 0)
		b.governance = &gov
		params := encodedParams()
		val := validatorSet(b)
		imports := imp("set_params", "(param i32 i32 i64)") + imp("set_validators", "(param i32 i32)")
		src := strings.Replace(hostModule(imports, watHex(params)+watHex(val), `nop`), `(func (export "run") nop))`,
			`(func (export "later") (call $set_params (i32.const 0) (i32.const `+itoa(uint64(len(params)))+`) (i64.const 100)))
			 (func (export "past") (call $set_params (i32.const 0) (i32.const `+itoa(uint64(len(params)))+`) (i64.const 1)))
			 (func (export "validators") (call $set_validators (i32.const `+itoa(uint64(len(params)))+`) (i32.const `+itoa(uint64(len(val)))+`))))`, 1)
		c := b.deployed(b.wat(src))
		b.block(
			b.tx("dev", tx.Call{Contract: c, Method: "later"}, gas(5_000_000)),
			b.tx("dev", tx.Call{Contract: c, Method: "past"}, gas(5_000_000)),
			b.tx("dev", tx.Call{Contract: c, Method: "validators"}, gas(5_000_000)),
		)
		b.block() // the new validator set is in force from here: its hash is in this header
	}})
}

// validatorSet is a new set of two validators, canonically encoded.
func validatorSet(b *builder) []byte {
	vs := []runtime.Validator{
		{PublicKey: b.key("validator").Public().(ed25519.PublicKey), Power: 2, Name: "v"},
		{PublicKey: b.key("validator2").Public().(ed25519.PublicKey), Power: 1, Name: "w"},
	}
	out, err := canon.Marshal(vs)
	if err != nil && b.err == nil {
		b.err = err
	}
	return out
}
