package sdktest

import (
	"errors"

	"github.com/plinthchain/plinth/contracts/sdk"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
)

// RegisterDevice registers key's public key as a device of owner, with
// runtime/device's checks (a known key type, kind and metadata within
// their limits, the key not registered before); a refusal fails the test,
// since registering is setup, not what a contract test is about. The id is
// the chain's: device.NewID of the key type and public key.
func (c *Chain) RegisterDevice(owner sdk.Address, key sigs.PrivateKey, kind string, metadata []byte) sdk.DeviceID {
	c.t.Helper()
	id, err := device.Register(c.ws, &c.params, addr(owner), key.Type(), key.Public().Bytes(), kind, metadata, canon.U256{})
	if err != nil {
		c.t.Fatalf("sdktest: register device: %v", err)
	}
	return sdk.DeviceID(id)
}

// RevokeDevice revokes the device, as its owner would: its stored
// attestations stay readable and new ones are refused (code 20).
func (c *Chain) RevokeDevice(id sdk.DeviceID) {
	c.t.Helper()
	d, ok, err := device.Get(c.ws, device.ID(id))
	c.must(err)
	if !ok {
		c.t.Fatalf("sdktest: revoke device %s: not registered", id)
	}
	if _, err := device.Revoke(c.ws, d.Owner, device.ID(id)); err != nil {
		c.t.Fatalf("sdktest: revoke device %s: %v", id, err)
	}
}

// SignAttestation returns key's signed attestation for this chain at the
// current block time, encoded, without submitting it: what a contract's
// AttestationCheck takes, or what SubmitAttestation may send later or
// twice.
func (c *Chain) SignAttestation(key sigs.PrivateKey, kind string, seq uint64, payload []byte) []byte {
	c.t.Helper()
	a := device.Attestation{
		ChainID: ChainID,
		Device:  device.NewID(key.Type(), key.Public().Bytes()),
		Seq:     seq,
		Time:    c.time,
		Kind:    kind,
		Payload: payload,
	}
	raw, err := device.Sign(&a, key)
	if err != nil {
		c.t.Fatalf("sdktest: sign attestation: %v", err)
	}
	return raw
}

// SubmitAttestation is an attest transaction: raw is checked and stored
// by runtime/device's rules (docs/devices.md), so a refusal is the
// receipt code the chain would give (18 unknown device, 20 revoked, 24
// another chain, 25 bad signature, 26/27 outside the freshness window, 28
// replayed, 29 below the window, 23 not canonical). It returns the
// attestation's id; Result.Gas is the attest transaction's execution gas
// (AttestGas, the signature, the bytes stored).
func (c *Chain) SubmitAttestation(raw []byte) ([32]byte, *Result) {
	c.t.Helper()
	p := &c.params
	price := p.Host.VerifyEd25519
	if a, err := device.Decode(raw, p); err == nil {
		if d, ok, err := device.Get(c.ws, a.Device); err == nil && ok {
			price, _ = verifyPrice(&p.Host, d.KeyType)
		}
	}
	gas := p.AttestGas + price + p.Host.StorageWritePerByte*uint64(len(raw))
	cp := c.ws.Checkpoint()
	id, a, err := device.Submit(c.ws, p, ChainID, c.time, raw)
	if err != nil {
		c.ws.RevertTo(cp)
		code := c.deviceCode(err)
		return [32]byte{}, &Result{Code: uint32(code), Message: code.String(), Gas: gas}
	}
	c.ws.Commit(cp)
	return id, &Result{Return: id[:], Gas: gas, Events: []Event{{Type: "attest", Attributes: []sdk.Attribute{
		{Key: "id", Value: id[:]}, {Key: "device", Value: a.Device[:]}, {Key: "kind", Value: []byte(a.Kind)},
	}}}}
}

// Attest signs an attestation with key at the current block time and
// submits it: the usual way a test gives a contract something to read.
func (c *Chain) Attest(key sigs.PrivateKey, kind string, seq uint64, payload []byte) ([32]byte, *Result) {
	c.t.Helper()
	return c.SubmitAttestation(c.SignAttestation(key, kind, seq, payload))
}

// deviceCode is err's receipt code (0 for nil), by runtime's unexported
// mapping of runtime/device's refusals (runtime/devices.go, deviceCodes),
// repeated here. Anything that is not a refusal is a failure of the test
// chain itself and stops the test.
func (c *Chain) deviceCode(err error) runtime.Code {
	switch {
	case err == nil:
		return runtime.CodeOK
	case errors.Is(err, device.ErrExists):
		return runtime.CodeDeviceExists
	case errors.Is(err, device.ErrUnknownDevice):
		return runtime.CodeUnknownDevice
	case errors.Is(err, device.ErrNotOwner):
		return runtime.CodeNotOwner
	case errors.Is(err, device.ErrRevoked):
		return runtime.CodeRevoked
	case errors.Is(err, device.ErrTooLarge):
		return runtime.CodeAttestationTooLarge
	case errors.Is(err, device.ErrChainID):
		return runtime.CodeAttestationChainID
	case errors.Is(err, device.ErrBadSignature):
		return runtime.CodeAttestationSignature
	case errors.Is(err, device.ErrStale):
		return runtime.CodeAttestationStale
	case errors.Is(err, device.ErrFuture):
		return runtime.CodeAttestationFuture
	case errors.Is(err, device.ErrReplay):
		return runtime.CodeAttestationReplay
	case errors.Is(err, device.ErrSeqTooOld):
		return runtime.CodeAttestationSeqTooOld
	case errors.Is(err, canon.ErrEncoding):
		return runtime.CodeAttestationEncoding
	case errors.Is(err, sigs.ErrPublicKey), errors.Is(err, sigs.ErrKeyType):
		return runtime.CodeBadDeviceKey
	}
	c.must(err)
	return runtime.CodeOK
}
