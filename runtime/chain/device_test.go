package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// readerWat: latest(device ‖ kind) returns the device's latest
// attestation of that kind; check(attestation) returns attestation_check's
// code as a u32; history(device ‖ limit u32) returns attestation_history
// over every sequence number.
const readerWat = `(module
	(import "plinth" "input" (func $input (param i32)))
	(import "plinth" "register_len" (func $register_len (param i32) (result i64)))
	(import "plinth" "read_register" (func $read_register (param i32 i32)))
	(import "plinth" "value_return" (func $value_return (param i32 i32)))
	(import "plinth" "attestation_latest" (func $attestation_latest (param i32 i32 i32 i32) (result i32)))
	(import "plinth" "attestation_check" (func $attestation_check (param i32 i32) (result i32)))
	(import "plinth" "attestation_history" (func $attestation_history (param i32 i64 i64 i32 i32) (result i32)))
	(memory 1 1)
	(func (export "history")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(drop (call $attestation_history (i32.const 0) (i64.const 0) (i64.const -1) (i32.load (i32.const 20)) (i32.const 1)))
		(call $read_register (i32.const 1) (i32.const 1000))
		(call $value_return (i32.const 1000) (i32.wrap_i64 (call $register_len (i32.const 1)))))
	(func (export "latest")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(drop (call $attestation_latest (i32.const 0) (i32.const 20) (i32.sub (i32.wrap_i64 (call $register_len (i32.const 0))) (i32.const 20)) (i32.const 1)))
		(call $read_register (i32.const 1) (i32.const 1000))
		(call $value_return (i32.const 1000) (i32.wrap_i64 (call $register_len (i32.const 1)))))
	(func (export "check")
		(call $input (i32.const 0))
		(call $read_register (i32.const 0) (i32.const 0))
		(i32.store (i32.const 2000) (call $attestation_check (i32.const 0) (i32.wrap_i64 (call $register_len (i32.const 0)))))
		(call $value_return (i32.const 2000) (i32.const 4))))`

// TestDevices: register devices of two key types (the deposit held),
// accept their attestations in and out of order, refuse replays, stale
// and foreign ones, owner-only updates, and revocation returning the
// deposit and closing the device to new attestations.
func TestDevices(t *testing.T) {
	net := newNet(t, 2)
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	p := net.genesis.Params
	keys := map[sigs.KeyType]sigs.PrivateKey{}
	for _, kt := range []sigs.KeyType{sigs.Ed25519, sigs.P256} {
		seed := make([]byte, 32)
		seed[31] = byte(kt) + 40
		k, err := sigs.NewPrivateKey(kt, seed)
		if err != nil {
			t.Fatal(err)
		}
		keys[kt] = k
	}
	meter := device.NewID(sigs.P256, keys[sigs.P256].Public().Bytes())
	hotspot := device.NewID(sigs.Ed25519, keys[sigs.Ed25519].Public().Bytes())
	bs := newBlocks(t, c, net)
	send := bs.send
	attest := func(kt sigs.KeyType, dev device.ID, seq, at uint64, chain string) tx.Body {
		t.Helper()
		raw, err := device.Sign(&device.Attestation{ChainID: chain, Device: dev, Seq: seq, Time: at, Kind: "energy", Payload: []byte{byte(seq)}}, keys[kt])
		if err != nil {
			t.Fatal(err)
		}
		return tx.Attest{Attestation: raw}
	}
	bal0 := uint64(genesisBalance) // the genesis balance (not in the store before block 1)
	rs := send(0,
		tx.DeviceRegister{KeyType: uint64(sigs.P256), PublicKey: keys[sigs.P256].Public().Bytes(), DeviceKind: "meter", Metadata: []byte("roof 3")},
		tx.DeviceRegister{KeyType: uint64(sigs.Ed25519), PublicKey: keys[sigs.Ed25519].Public().Bytes(), DeviceKind: "hotspot"},
		tx.DeviceRegister{KeyType: uint64(sigs.P256), PublicKey: keys[sigs.P256].Public().Bytes(), DeviceKind: "again"},
		tx.DeviceRegister{KeyType: 257, PublicKey: keys[sigs.Ed25519].Public().Bytes(), DeviceKind: "wraps to ed25519"},
	)
	wantCodes(t, rs, runtime.CodeOK, runtime.CodeOK, runtime.CodeDeviceExists, runtime.CodeBadDeviceKey)
	if string(rs[0].Return) != string(meter[:]) {
		t.Fatalf("register returned %x, want the device id %x", rs[0].Return, meter)
	}
	var fees uint64
	for _, r := range rs {
		fees += r.GasUsed
	}
	if bal, _ := balance(t, s, net.addrs[0]); bal != bal0-fees-2*p.DeviceDeposit.Uint64() {
		t.Fatalf("owner holds %d, want %d (two deposits held)", bal, bal0-fees-2*p.DeviceDeposit.Uint64())
	}
	// Anyone may submit a device's attestation; the device's signature is
	// what counts.
	rs = send(1,
		attest(sigs.P256, meter, 5, bs.time, chainID),
		attest(sigs.P256, meter, 3, bs.time, chainID), // out of order, inside the window
		attest(sigs.P256, meter, 5, bs.time, chainID), // replayed
		attest(sigs.Ed25519, hotspot, 1, bs.time-p.AttestationFreshness-10_000, chainID),
		attest(sigs.Ed25519, hotspot, 2, bs.time+p.AttestationFreshness+10_000, chainID),
		attest(sigs.Ed25519, hotspot, 3, bs.time, "plinth-other"),
		attest(sigs.Ed25519, meter, 6, bs.time, chainID), // signed by the wrong key
		attest(sigs.P256, device.ID{9}, 1, bs.time, chainID),
	)
	wantCodes(t, rs, runtime.CodeOK, runtime.CodeOK, runtime.CodeAttestationReplay, runtime.CodeAttestationStale,
		runtime.CodeAttestationFuture, runtime.CodeAttestationChainID, runtime.CodeAttestationSignature, runtime.CodeUnknownDevice)
	if a, ok, err := device.Latest(s, meter, "energy"); err != nil || !ok || a.Seq != 5 {
		t.Fatalf("latest of the meter: %+v %v %v", a, ok, err)
	}
	// A contract reads the latest reading and checks a fresh one.
	code, err := vmtest.Wat(readerWat)
	if err != nil {
		t.Fatal(err)
	}
	reader := address.Contract(net.addrs[1], 0)
	fresh := attest(sigs.P256, meter, 9, bs.time+1000, chainID).(tx.Attest).Attestation
	replay := attest(sigs.P256, meter, 5, bs.time+1000, chainID).(tx.Attest).Attestation
	rs = send(1, tx.Deploy{Code: code}, tx.Instantiate{CodeHash: sha256.Sum256(code)},
		tx.Call{Contract: reader, Method: "latest", Input: append(append([]byte(nil), meter[:]...), "energy"...)},
		tx.Call{Contract: reader, Method: "check", Input: fresh},
		tx.Call{Contract: reader, Method: "check", Input: replay},
		tx.Call{Contract: reader, Method: "history", Input: binary.LittleEndian.AppendUint32(append([]byte(nil), meter[:]...), 2)},
		// A limit of 0 reads nothing (and is charged for nothing).
		tx.Call{Contract: reader, Method: "history", Input: binary.LittleEndian.AppendUint32(append([]byte(nil), meter[:]...), 0)},
	)
	wantCodes(t, rs, runtime.CodeOK, runtime.CodeOK, runtime.CodeOK, runtime.CodeOK, runtime.CodeOK, runtime.CodeOK, runtime.CodeOK)
	var hist []device.Attestation
	if err := canon.Unmarshal(rs[5].Return, &hist); err != nil || len(hist) != 2 || hist[0].Seq >= hist[1].Seq {
		t.Fatalf("history limited to 2: %+v (%v)", hist, err)
	}
	var none []device.Attestation
	if err := canon.Unmarshal(rs[6].Return, &none); err != nil || len(none) != 0 {
		t.Fatalf("history limited to 0: %d entries (%v)", len(none), err)
	}
	var latest device.Attestation
	if err := canon.Unmarshal(rs[2].Return, &latest); err != nil || latest.Seq != 5 || latest.Device != meter {
		t.Fatalf("the contract read %+v (%v)", latest, err)
	}
	if got := binary.LittleEndian.Uint32(rs[3].Return); got != 0 {
		t.Fatalf("check of a fresh attestation: %d", got)
	}
	if got := binary.LittleEndian.Uint32(rs[4].Return); got != uint32(runtime.CodeAttestationReplay) {
		t.Fatalf("check of a replay: %d", got)
	}
	rs = send(1, tx.DeviceUpdate{Device: address.Address(meter), Metadata: []byte("mine bs.time")}, tx.DeviceRevoke{Device: address.Address(meter)})
	wantCodes(t, rs, runtime.CodeNotOwner, runtime.CodeNotOwner)
	balBefore, _ := balance(t, s, net.addrs[0])
	rs = send(0, tx.DeviceUpdate{Device: address.Address(meter), Metadata: []byte("roof 4")}, tx.DeviceRevoke{Device: address.Address(meter)})
	wantCodes(t, rs, runtime.CodeOK, runtime.CodeOK)
	if bal, _ := balance(t, s, net.addrs[0]); bal != balBefore-rs[0].GasUsed-rs[1].GasUsed+p.DeviceDeposit.Uint64() {
		t.Fatalf("revoking did not return the deposit: %d", bal)
	}
	rs = send(1, attest(sigs.P256, meter, 7, bs.time, chainID))
	wantCodes(t, rs, runtime.CodeRevoked)
	rs = send(0, tx.DeviceRegister{KeyType: uint64(sigs.P256), PublicKey: keys[sigs.P256].Public().Bytes(), DeviceKind: "meter"})
	wantCodes(t, rs, runtime.CodeDeviceExists) // a revoked key never comes back
}

func wantCodes(t *testing.T, rs []runtime.Receipt, want ...runtime.Code) {
	t.Helper()
	for i, w := range want {
		if rs[i].Code != w {
			t.Errorf("tx %d: %v (%s), want %v", i, rs[i].Code, rs[i].Message, w)
		}
	}
}
