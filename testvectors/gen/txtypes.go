package main

import (
	"crypto/sha256"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// Every transaction type and its failures, generated: the receipts'
// codes are the point (docs/protocol.md, "Receipts"); the gas is frozen
// from this implementation.

// initStorer's init stores its input under "k"; "get" returns it.
const initStorer = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "register_len" (func $len (param i32) (result i64)))
	(import "plinth" "read_register" (func $read (param i32 i32)))
	(import "plinth" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "storage_read" (func $r (param i32 i32 i32) (result i32)))
	(import "plinth" "value_return" (func $ret (param i32 i32)))
	(memory 1)
	(data (i32.const 0) "k")
	(func (export "init")
		(call $input (i32.const 0))
		(call $read (i32.const 0) (i32.const 16))
		(drop (call $w (i32.const 0) (i32.const 1) (i32.const 16) (i32.wrap_i64 (call $len (i32.const 0))))))
	(func (export "get")
		(drop (call $r (i32.const 0) (i32.const 1) (i32.const 0)))
		(call $read (i32.const 0) (i32.const 16))
		(call $ret (i32.const 16) (i32.wrap_i64 (call $len (i32.const 0))))))`

// failing has a function for each way a call can fail.
const failing = `(module
	(import "plinth" "abort" (func $abort (param i32 i32)))
	(memory 1)
	(data (i32.const 0) "no way")
	(func (export "init") (call $abort (i32.const 0) (i32.const 6)))
	(func (export "trap") unreachable)
	(func (export "abort") (call $abort (i32.const 0) (i32.const 6)))
	(func (export "spin") (loop $l (br $l)))
	(func (export "divzero") (drop (i32.div_u (i32.const 1) (i32.const 0))))
	(func (export "oob") (drop (i32.load (i32.const 70000))))
	(func $deep (export "deep") (call $deep))
	(func (export "grow") (drop (memory.grow (i32.const 1000)))))`

// trapper is failing without init, so it can be instantiated.
const trapper = `(module
	(import "plinth" "abort" (func $abort (param i32 i32)))
	(memory 1)
	(data (i32.const 0) "no way")
	(func (export "trap") unreachable)
	(func (export "abort") (call $abort (i32.const 0) (i32.const 6)))
	(func (export "spin") (loop $l (br $l)))
	(func (export "divzero") (drop (i32.div_u (i32.const 1) (i32.const 0))))
	(func (export "oob") (drop (i32.load (i32.const 70000))))
	(func $deep (export "deep") (call $deep))
	(func (export "grow") (drop (memory.grow (i32.const 1000)))))`

// migratable's migrate writes "m" = "yes".
const migratable = `(module
	(import "plinth" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
	(memory 1)
	(data (i32.const 0) "myes")
	(func (export "migrate") (drop (call $w (i32.const 0) (i32.const 1) (i32.const 1) (i32.const 3))))
	(func (export "f")))`

func (b *builder) deviceKey(name string, t sigs.KeyType) sigs.PrivateKey {
	seed := sha256.Sum256([]byte("vector/device/" + name))
	k, err := sigs.NewPrivateKey(t, seed[:])
	if err != nil && b.err == nil {
		b.err = err
	}
	return k
}

func register6(k sigs.PrivateKey, kind string) tx.DeviceRegister {
	return tx.DeviceRegister{KeyType: uint64(k.Type()), PublicKey: k.Public().Bytes(), DeviceKind: kind, Metadata: []byte("roof 4")}
}

// attestation signs an attestation of k's device at the next block's time
// (unless at is set).
func (b *builder) attestation(k sigs.PrivateKey, seq uint64, kind, payload string, mod func(*device.Attestation)) []byte {
	a := &device.Attestation{ChainID: chainID, Device: device.NewID(k.Type(), k.Public().Bytes()), Seq: seq,
		Time: b.time + 1000, Kind: kind, Payload: []byte(payload)}
	if mod != nil {
		mod(a)
	}
	raw, err := device.Sign(a, k)
	if err != nil && b.err == nil {
		b.err = err
	}
	return raw
}

func one(b *builder, from string, body tx.Body, limit uint64) testvectors.Hex {
	return b.tx(from, body, gas(limit))
}

func init() {
	const big = 100_000_000_000
	register("tx",
		scenario{name: "deploy-invalid-code", build: func(b *builder) {
			b.v.Description = "deploying bytes that are not a WebAssembly module: code 4"
			b.fund("dev", big)
			b.block(one(b, "dev", tx.Deploy{Code: []byte("not wasm")}, 30_000_000))
		}},
		scenario{name: "deploy-twice", build: func(b *builder) {
			b.v.Description = "the same code deployed twice: the second pays and stores nothing new"
			code := b.wat(straight)
			b.fund("dev", big)
			b.block(one(b, "dev", tx.Deploy{Code: code}, 30_000_000), one(b, "dev", tx.Deploy{Code: code}, 30_000_000))
		}},
		scenario{name: "deploy-float-module", build: func(b *builder) {
			b.v.Description = "a module using floats deploys (NaNs are canonicalized)"
			b.fund("dev", big)
			b.block(one(b, "dev", tx.Deploy{Code: b.wat(`(module (func (export "f") (result f64) (f64.div (f64.const 0) (f64.const 0))))`)}, 30_000_000))
		}},
		scenario{name: "instantiate-unknown-code", build: func(b *builder) {
			b.v.Description = "instantiating a code hash never deployed: code 5"
			b.fund("dev", big)
			b.block(one(b, "dev", tx.Instantiate{CodeHash: sha256.Sum256([]byte("nothing"))}, 1_000_000))
		}},
		scenario{name: "instantiate-with-init", build: func(b *builder) {
			b.v.Description = "init stores its input; a query-like call reads it back; instantiate returns the address"
			code := b.wat(initStorer)
			b.fund("dev", big)
			b.block(one(b, "dev", tx.Deploy{Code: code}, 30_000_000))
			b.block(one(b, "dev", tx.Instantiate{CodeHash: sha256.Sum256(code), Init: []byte("hello"), Label: "store", Funds: canon.NewU256(5)}, 1_000_000))
			b.block(one(b, "dev", tx.Call{Contract: address.Contract(b.addr("dev"), 0), Method: "get"}, 1_000_000))
		}},
		scenario{name: "instantiate-init-aborts", build: func(b *builder) {
			b.v.Description = "an init that aborts: code 9; the address it would have had holds no contract (a call of it: code 6)"
			code := b.wat(failing)
			b.fund("dev", big)
			b.block(one(b, "dev", tx.Deploy{Code: code}, 30_000_000))
			b.block(one(b, "dev", tx.Instantiate{CodeHash: sha256.Sum256(code)}, 1_000_000))
			b.block(one(b, "dev", tx.Call{Contract: address.Contract(b.addr("dev"), 0), Method: "trap"}, 1_000_000))
		}},
		scenario{name: "instantiate-admin", build: func(b *builder) {
			b.v.Description = "a contract with an admin, migrated by the admin; a stranger's migration is refused (code 14); unknown code (code 5)"
			code, code2 := b.wat(straight), b.wat(migratable)
			b.fund("dev", big)
			b.fund("mallory", big)
			b.block(one(b, "dev", tx.Deploy{Code: code}, 30_000_000), one(b, "dev", tx.Deploy{Code: code2}, 30_000_000))
			admin := b.addr("dev")
			b.block(one(b, "dev", tx.Instantiate{CodeHash: sha256.Sum256(code), Admin: admin[:]}, 1_000_000))
			c := address.Contract(admin, 0)
			b.block(
				one(b, "mallory", tx.Migrate{Contract: c, CodeHash: sha256.Sum256(code2)}, 1_000_000),
				one(b, "dev", tx.Migrate{Contract: c, CodeHash: sha256.Sum256([]byte("none"))}, 1_000_000),
				one(b, "dev", tx.Migrate{Contract: c, CodeHash: sha256.Sum256(code2)}, 1_000_000),
				one(b, "dev", tx.Call{Contract: c, Method: "f"}, 1_000_000),
			)
		}},
	)
	register("vm",
		scenario{name: "traps", build: func(b *builder) {
			b.v.Description = "every way a call fails in the VM — unreachable (8), abort (9), out of gas (1), division by zero (8), an out-of-bounds load (8), stack exhaustion (8) — and memory.grow past the limit, which returns -1 and succeeds"
			c := b.deployed(b.wat(trapper))
			var txs []testvectors.Hex
			for _, m := range []string{"trap", "abort", "spin", "divzero", "oob", "deep"} {
				txs = append(txs, one(b, "dev", tx.Call{Contract: c, Method: m}, 2_000_000))
			}
			// 1,000 pages at MemoryGrowPerPage 2,048 need more gas.
			txs = append(txs, one(b, "dev", tx.Call{Contract: c, Method: "grow"}, 5_000_000))
			b.block(txs...)
		}},
	)
	register("device",
		scenario{name: "register-update-revoke", build: func(b *builder) {
			b.v.Description = "a P-256 meter registered (deposit held), its metadata updated by the owner, refused to a stranger (19), registered again (17), revoked (deposit back), revoked again (20)"
			k := b.deviceKey("meter", sigs.P256)
			id := address.Address(device.NewID(sigs.P256, k.Public().Bytes()))
			b.fund("owner", big)
			b.fund("mallory", big)
			b.block(one(b, "owner", register6(k, "meter"), 1_000_000))
			b.block(
				one(b, "owner", tx.DeviceUpdate{Device: id, Metadata: []byte("roof 5")}, 1_000_000),
				one(b, "mallory", tx.DeviceUpdate{Device: id, Metadata: []byte("mine")}, 1_000_000),
				one(b, "mallory", register6(k, "meter"), 1_000_000),
			)
			b.block(one(b, "owner", tx.DeviceRevoke{Device: id}, 1_000_000), one(b, "owner", tx.DeviceRevoke{Device: id}, 1_000_000))
		}},
		scenario{name: "bad-key", build: func(b *builder) {
			b.v.Description = "a registration with a public key that is not a point (21), and of an unknown key type"
			b.fund("owner", big)
			b.block(
				one(b, "owner", tx.DeviceRegister{KeyType: uint64(sigs.P256), PublicKey: make([]byte, 33), DeviceKind: "meter"}, 1_000_000),
				one(b, "owner", tx.DeviceRegister{KeyType: 9, PublicKey: make([]byte, 32), DeviceKind: "meter"}, 1_000_000),
			)
		}},
		scenario{name: "all-key-types", build: func(b *builder) {
			b.v.Description = "one device of each key type, each attesting once"
			b.fund("owner", big)
			var regs, atts []testvectors.Hex
			for _, t := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
				k := b.deviceKey("d"+t.String(), t)
				regs = append(regs, one(b, "owner", register6(k, "sensor"), 1_000_000))
			}
			b.block(regs...)
			for _, t := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
				k := b.deviceKey("d"+t.String(), t)
				atts = append(atts, one(b, "owner", tx.Attest{Attestation: b.attestation(k, 1, "temp", "21.5", nil)}, 1_000_000))
			}
			b.block(atts...)
		}},
	)
	register("attest",
		scenario{name: "rules", build: func(b *builder) {
			b.v.Description = "an accepted attestation, then each refusal: replayed (28), another chain (24), a bad signature (25), too old (26), too far ahead (27), an unknown device (18), not canonical (23), too large (22)"
			k := b.deviceKey("meter", sigs.P256)
			other := b.deviceKey("unregistered", sigs.P256)
			b.fund("owner", big)
			b.block(one(b, "owner", register6(k, "meter"), 1_000_000))
			good := b.attestation(k, 1, "energy", "42", nil)
			badSig := b.attestation(k, 2, "energy", "42", nil)
			badSig[len(badSig)-1] ^= 1
			b.block(
				one(b, "owner", tx.Attest{Attestation: good}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: good}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, 3, "energy", "42", func(a *device.Attestation) { a.ChainID = "elsewhere" })}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: badSig}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, 4, "energy", "42", func(a *device.Attestation) { a.Time -= p.AttestationFreshness + 2000 })}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, 5, "energy", "42", func(a *device.Attestation) { a.Time += p.AttestationFreshness + 2000 })}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(other, 1, "energy", "42", nil)}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: append(b.attestation(k, 6, "energy", "42", nil), 0)}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, 7, "energy", string(make([]byte, p.MaxAttestationBytes)), nil)}, 1_000_000),
			)
		}},
		scenario{name: "window", build: func(b *builder) {
			b.v.Description = "sequence numbers out of order within the window are accepted; one below the window is refused (29)"
			k := b.deviceKey("meter", sigs.Ed25519)
			b.fund("owner", big)
			b.block(one(b, "owner", register6(k, "meter"), 1_000_000))
			high := uint64(p.AttestationWindow) + 10
			b.block(
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, high, "energy", "1", nil)}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, high-5, "energy", "2", nil)}, 1_000_000),
				one(b, "owner", tx.Attest{Attestation: b.attestation(k, 3, "energy", "3", nil)}, 1_000_000),
			)
		}},
		scenario{name: "revoked-device", build: func(b *builder) {
			b.v.Description = "a revoked device's attestation is refused (20)"
			k := b.deviceKey("meter", sigs.Ed25519)
			id := address.Address(device.NewID(sigs.Ed25519, k.Public().Bytes()))
			b.fund("owner", big)
			b.block(one(b, "owner", register6(k, "meter"), 1_000_000))
			b.block(one(b, "owner", tx.DeviceRevoke{Device: id}, 1_000_000))
			b.block(one(b, "owner", tx.Attest{Attestation: b.attestation(k, 1, "energy", "1", nil)}, 1_000_000))
		}},
	)
}
