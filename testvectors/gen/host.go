package main

import (
	"fmt"
	"strings"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/testvectors"
)

// Every host function, called once by a small contract whose "run"
// returns what the function gave (its register copied out, or its i32 or
// i64 result as little-endian bytes): the receipts freeze each function's
// gas (docs/abi.md prices, docs/gas.md instructions) and result.

// hostModule wraps body (the instructions of run) with the imports and a
// memory whose first bytes hold data.
func hostModule(imports, data, body string) string {
	return `(module
	(import "plinth" "register_len" (func $len (param i32) (result i64)))
	(import "plinth" "read_register" (func $read (param i32 i32)))
	(import "plinth" "value_return" (func $ret (param i32 i32)))
	` + imports + `
	(memory 1)
	(data (i32.const 0) "` + data + `")
	(func $reg (param $r i32)
		(call $read (local.get $r) (i32.const 4096))
		(call $ret (i32.const 4096) (i32.wrap_i64 (call $len (local.get $r)))))
	(func $i32 (param $v i32) (i32.store (i32.const 4096) (local.get $v)) (call $ret (i32.const 4096) (i32.const 4)))
	(func $i64 (param $v i64) (i64.store (i32.const 4096) (local.get $v)) (call $ret (i32.const 4096) (i32.const 8)))
	(func (export "run") ` + body + `))`
}

// watHex writes bytes as a WAT string's escapes.
func watHex(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "\\%02x", c)
	}
	return s.String()
}

type hostCase struct {
	name, imports, data, body string
	funds                     uint64
	setup                     func(b *builder) // blocks before the contract is deployed
}

func init() {
	imp := func(name, sig string) string {
		return `(import "plinth" "` + name + `" (func $` + name + ` ` + sig + `))`
	}
	var cases []hostCase
	ctx := func(name string) hostCase {
		return hostCase{name: name, imports: imp(name, "(param i32)"), body: `(call $` + name + ` (i32.const 0)) (call $reg (i32.const 0))`}
	}
	cases = append(cases,
		ctx("caller"), ctx("self"), ctx("origin"), ctx("chain_id"), ctx("tx_hash"),
		hostCase{name: "funds", imports: imp("funds", "(param i32)"), body: `(call $funds (i32.const 0)) (call $reg (i32.const 0))`, funds: 1234},
		hostCase{name: "input", imports: imp("input", "(param i32)"), body: `(call $input (i32.const 0)) (call $reg (i32.const 0))`},
		hostCase{name: "block_height", imports: imp("block_height", "(result i64)"), body: `(call $i64 (call $block_height))`},
		hostCase{name: "block_time", imports: imp("block_time", "(result i64)"), body: `(call $i64 (call $block_time))`},
		hostCase{name: "log", imports: imp("log", "(param i32 i32)"), data: "hello", body: `(call $log (i32.const 0) (i32.const 5))`},
		hostCase{name: "abort", imports: imp("abort", "(param i32 i32)"), data: "stop here", body: `(call $abort (i32.const 0) (i32.const 9))`},
		hostCase{name: "storage_read-miss", imports: imp("storage_read", "(param i32 i32 i32) (result i32)"), data: "key", body: `(call $i32 (call $storage_read (i32.const 0) (i32.const 3) (i32.const 0)))`},
		hostCase{name: "storage_write-read", imports: imp("storage_write", "(param i32 i32 i32 i32) (result i32)") + imp("storage_read", "(param i32 i32 i32) (result i32)"), data: "keyvalue",
			body: `(drop (call $storage_write (i32.const 0) (i32.const 3) (i32.const 3) (i32.const 5))) (drop (call $storage_read (i32.const 0) (i32.const 3) (i32.const 1))) (call $reg (i32.const 1))`},
		hostCase{name: "storage_write-replace", imports: imp("storage_write", "(param i32 i32 i32 i32) (result i32)"), data: "keyvalue",
			body: `(drop (call $storage_write (i32.const 0) (i32.const 3) (i32.const 3) (i32.const 5))) (call $i32 (call $storage_write (i32.const 0) (i32.const 3) (i32.const 3) (i32.const 2)))`},
		hostCase{name: "storage_remove", imports: imp("storage_write", "(param i32 i32 i32 i32) (result i32)") + imp("storage_remove", "(param i32 i32) (result i32)"), data: "keyvalue",
			body: `(drop (call $storage_write (i32.const 0) (i32.const 3) (i32.const 3) (i32.const 5))) (call $i32 (call $storage_remove (i32.const 0) (i32.const 3)))`},
		hostCase{name: "storage_range", imports: imp("storage_write", "(param i32 i32 i32 i32) (result i32)") + imp("storage_range", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), data: "a1a2a3b1xx",
			body: `(drop (call $storage_write (i32.const 0) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_write (i32.const 2) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_write (i32.const 4) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_write (i32.const 6) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_range (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 2) (i32.const 10) (i32.const 0) (i32.const 0)))
				(call $reg (i32.const 0))`},
		hostCase{name: "storage_range-reverse-keys", imports: imp("storage_write", "(param i32 i32 i32 i32) (result i32)") + imp("storage_range", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), data: "a1a2a3b1xx",
			body: `(drop (call $storage_write (i32.const 0) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_write (i32.const 2) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_write (i32.const 4) (i32.const 2) (i32.const 8) (i32.const 2)))
				(drop (call $storage_range (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 2) (i32.const 3) (i32.const 0)))
				(call $reg (i32.const 0))`},
		hostCase{name: "sha256", imports: imp("sha256", "(param i32 i32 i32)"), data: "abc", body: `(call $sha256 (i32.const 0) (i32.const 3) (i32.const 0)) (call $reg (i32.const 0))`},
		hostCase{name: "keccak256", imports: imp("keccak256", "(param i32 i32 i32)"), data: "abc", body: `(call $keccak256 (i32.const 0) (i32.const 3) (i32.const 0)) (call $reg (i32.const 0))`},
		hostCase{name: "emit", imports: imp("emit", "(param i32 i32 i32 i32)"), data: "reading" + watHex(cborAttrs()),
			body: `(call $emit (i32.const 0) (i32.const 7) (i32.const 7) (i32.const ` + fmt.Sprint(len(cborAttrs())) + `))`},
		hostCase{name: "register-empty", imports: "", body: `(call $i64 (call $len (i32.const 5)))`},
		hostCase{name: "read_register-empty-traps", imports: "", body: `(call $read (i32.const 7) (i32.const 0))`},
		hostCase{name: "pointer-out-of-memory", imports: imp("sha256", "(param i32 i32 i32)"), body: `(call $sha256 (i32.const 65530) (i32.const 100) (i32.const 0))`},
		hostCase{name: "key-too-long", imports: imp("storage_write", "(param i32 i32 i32 i32) (result i32)"), body: `(drop (call $storage_write (i32.const 0) (i32.const 513) (i32.const 0) (i32.const 1)))`},
	)
	// Functions that need an account, a device or another contract.
	cases = append(cases,
		hostCase{name: "balance", imports: imp("balance", "(param i32 i32)"), funds: 99,
			body: `(call $self (i32.const 9)) (call $read (i32.const 9) (i32.const 0)) (call $balance (i32.const 0) (i32.const 1)) (call $reg (i32.const 1))`},
		hostCase{name: "transfer", imports: imp("transfer", "(param i32 i32)"), funds: 500,
			body: `(call $caller (i32.const 9)) (call $read (i32.const 9) (i32.const 0)) (i64.store (i32.const 56) (i64.const 0x2c01000000000000)) (call $transfer (i32.const 0) (i32.const 32))`},
		hostCase{name: "transfer-insufficient", imports: imp("transfer", "(param i32 i32)"),
			body: `(call $caller (i32.const 9)) (call $read (i32.const 9) (i32.const 0)) (i32.store8 (i32.const 63) (i32.const 1)) (call $transfer (i32.const 0) (i32.const 32))`},
		hostCase{name: "verify-ed25519", imports: imp("verify", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), data: verifyData(sigs.Ed25519, false),
			body: verifyBody(sigs.Ed25519)},
		hostCase{name: "verify-p256", imports: imp("verify", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), data: verifyData(sigs.P256, false),
			body: verifyBody(sigs.P256)},
		hostCase{name: "verify-secp256k1", imports: imp("verify", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), data: verifyData(sigs.Secp256k1, false),
			body: verifyBody(sigs.Secp256k1)},
		hostCase{name: "verify-bad", imports: imp("verify", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)"), data: verifyData(sigs.Ed25519, true),
			body: verifyBody(sigs.Ed25519)},
		hostCase{name: "set_params-unprivileged", imports: imp("set_params", "(param i32 i32 i64)"), data: watHex(encodedParams()),
			body: `(call $set_params (i32.const 0) (i32.const ` + fmt.Sprint(len(encodedParams())) + `) (i64.const 100))`},
		hostCase{name: "set_validators-unprivileged", imports: imp("set_validators", "(param i32 i32)"), data: "x",
			body: `(call $set_validators (i32.const 0) (i32.const 1))`},
	)
	for _, hc := range cases {
		hc := hc
		register("host", scenario{name: hc.name, build: func(b *builder) {
			b.v.Description = "host function " + hc.name + ": run returns its result"
			imports := hc.imports
			if strings.Contains(hc.body, "$self") && !strings.Contains(imports, `"self"`) {
				imports += imp("self", "(param i32)")
			}
			if strings.Contains(hc.body, "$caller") && !strings.Contains(imports, `"caller"`) {
				imports += imp("caller", "(param i32)")
			}
			c := b.deployed(b.wat(hostModule(imports, hc.data, hc.body)))
			b.block(b.tx("dev", tx.Call{Contract: c, Method: "run", Input: []byte("input bytes"), Funds: canon.NewU256(hc.funds)}, gas(5_000_000)))
		}})
	}
	register("host", scenario{name: "devices", build: func(b *builder) {
		b.v.Description = "device_get, attestation_get, attestation_latest, attestation_history and attestation_check on a registered meter with two readings"
		k := b.deviceKey("meter", sigs.Ed25519)
		id := device.NewID(sigs.Ed25519, k.Public().Bytes())
		b.fund("owner", 100_000_000_000)
		b.block(one(b, "owner", register6(k, "meter"), 1_000_000))
		a1 := b.attestation(k, 1, "energy", "10", nil)
		b.block(one(b, "owner", tx.Attest{Attestation: a1}, 1_000_000))
		b.block(one(b, "owner", tx.Attest{Attestation: b.attestation(k, 2, "energy", "12", nil)}, 1_000_000))
		aid := device.AttestationID(mustSigned(b, a1))
		fresh := b.attestation(k, 3, "energy", "15", func(a *device.Attestation) { a.Time = b.time + 3000 })
		imports := imp("device_get", "(param i32 i32) (result i32)") + imp("attestation_get", "(param i32 i32) (result i32)") +
			imp("attestation_latest", "(param i32 i32 i32 i32) (result i32)") + imp("attestation_history", "(param i32 i64 i64 i32 i32) (result i32)") +
			imp("attestation_check", "(param i32 i32) (result i32)")
		data := watHex(id[:]) + watHex(aid[:]) + "energy" + watHex(fresh)
		mods := map[string]string{
			"device":  `(drop (call $device_get (i32.const 0) (i32.const 0))) (call $reg (i32.const 0))`,
			"get":     `(drop (call $attestation_get (i32.const 20) (i32.const 0))) (call $reg (i32.const 0))`,
			"latest":  `(drop (call $attestation_latest (i32.const 0) (i32.const 52) (i32.const 6) (i32.const 0))) (call $reg (i32.const 0))`,
			"history": `(drop (call $attestation_history (i32.const 0) (i64.const 0) (i64.const -1) (i32.const 10) (i32.const 0))) (call $reg (i32.const 0))`,
			"check":   `(call $i32 (call $attestation_check (i32.const 58) (i32.const ` + fmt.Sprint(len(fresh)) + `)))`,
		}
		var funcs string
		for _, name := range []string{"device", "get", "latest", "history", "check"} {
			funcs += `(func (export "` + name + `") ` + mods[name] + `)`
		}
		src := strings.Replace(hostModule(imports, data, `nop`), `(func (export "run") nop))`, funcs+`)`, 1)
		c := b.deployed(b.wat(src))
		var txs []testvectors.Hex
		for _, name := range []string{"device", "get", "latest", "history", "check"} {
			txs = append(txs, b.tx("dev", tx.Call{Contract: c, Method: name}, gas(5_000_000)))
		}
		b.block(txs...)
	}})
	register("host", scenario{name: "call-query-dispatch", build: func(b *builder) {
		b.v.Description = "a contract calls another (its return value comes back), queries it, and dispatches a call that runs after it returns; a failing callee's code comes back and the caller goes on"
		callee := `(module
			(import "plinth" "value_return" (func $ret (param i32 i32)))
			(import "plinth" "storage_write" (func $w (param i32 i32 i32 i32) (result i32)))
			(import "plinth" "abort" (func $abort (param i32 i32)))
			(memory 1) (data (i32.const 0) "pongkv")
			(func (export "ping") (call $ret (i32.const 0) (i32.const 4)))
			(func (export "mark") (drop (call $w (i32.const 4) (i32.const 1) (i32.const 5) (i32.const 1))))
			(func (export "fail") (call $abort (i32.const 0) (i32.const 4))))`
		target := b.deployed(b.wat(callee))
		imports := imp("call", "(param i32 i32 i32 i32 i32 i32 i32) (result i32)") + imp("query", "(param i32 i32 i32 i32 i32 i32) (result i32)") +
			imp("dispatch", "(param i32 i32 i32 i32 i32 i32)")
		data := watHex(target[:]) + "pingmarkfail"
		src := strings.Replace(hostModule(imports, data, `nop`), `(func (export "run") nop))`,
			`(func (export "call") (drop (call $call (i32.const 0) (i32.const 20) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 0))) (call $reg (i32.const 0)))
			 (func (export "query") (drop (call $query (i32.const 0) (i32.const 20) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0))) (call $reg (i32.const 0)))
			 (func (export "dispatch") (call $dispatch (i32.const 0) (i32.const 24) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 200)))
			 (func (export "fail") (call $i32 (call $call (i32.const 0) (i32.const 28) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 200) (i32.const 0)))))`, 1)
		// The caller is the second contract dev instantiates.
		code := b.wat(src)
		b.block(b.tx("dev", tx.Deploy{Code: code}, gas(30_000_000)))
		b.block(b.tx("dev", tx.Instantiate{CodeHash: sha(code)}, gas(1_000_000)))
		caller := address.Contract(b.addr("dev"), 1)
		var txs []testvectors.Hex
		for _, m := range []string{"call", "query", "dispatch", "fail"} {
			txs = append(txs, b.tx("dev", tx.Call{Contract: caller, Method: m}, gas(5_000_000)))
		}
		b.block(txs...)
	}})
}

func cborAttrs() []byte {
	type attr struct {
		_     struct{} `cbor:",toarray"`
		Key   string
		Value []byte
	}
	b, err := canon.Marshal([]attr{{Key: "kwh", Value: []byte("42")}, {Key: "site", Value: []byte("roof 4")}})
	if err != nil {
		panic(err)
	}
	return b
}

func encodedParams() []byte {
	v := params.Version1()
	b, err := v.Encode()
	if err != nil {
		panic(err)
	}
	return b
}

// verifyData lays out a public key, the message "plinth" and a signature
// of it by a fixed key of type t (broken if bad): key at 0, message
// after it, signature after that.
func verifyData(t sigs.KeyType, bad bool) string {
	b := &builder{}
	k := b.deviceKey("signer"+t.String(), t)
	msg := []byte("plinth")
	sig, err := k.Sign(msg)
	if err != nil {
		panic(err)
	}
	if bad {
		sig[3] ^= 1
	}
	pub := k.Public().Bytes()
	return watHex(pub) + watHex(msg) + watHex(sig)
}

func verifyBody(t sigs.KeyType) string {
	pubLen := 32
	if t != sigs.Ed25519 {
		pubLen = 33
	}
	return fmt.Sprintf(`(call $i32 (call $verify (i32.const %d) (i32.const 0) (i32.const %d) (i32.const %d) (i32.const 6) (i32.const %d) (i32.const 64)))`,
		t, pubLen, pubLen, pubLen+6)
}

func mustSigned(b *builder, raw []byte) []byte {
	a, err := device.Decode(raw, &p)
	if err != nil {
		if b.err == nil {
			b.err = err
		}
		return nil
	}
	s, err := a.SignedBytes()
	if err != nil && b.err == nil {
		b.err = err
	}
	return s
}
