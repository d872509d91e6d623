package runtime

import (
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// depositsAccount holds the deposits of registered devices: no key
// controls it; only revoking a device takes from it.
var depositsAccount = moduleAddress("deposits")

// ErrKeyType: a device key type the chain does not know.
var ErrKeyType = errors.New("runtime: unknown device key type")

func (x *txCall) deviceRegister(body tx.DeviceRegister) (Receipt, error) {
	if body.KeyType > 255 || !sigs.KeyType(body.KeyType).Valid() {
		return Receipt{}, fmt.Errorf("%w: %d", ErrKeyType, body.KeyType)
	}
	size := uint64(len(body.PublicKey) + len(body.DeviceKind) + len(body.Metadata))
	if err := x.charge(x.p.DeviceGas + x.p.Host.StorageWritePerByte*size); err != nil {
		return Receipt{}, err
	}
	if err := transfer(x.ws, x.d.Sender, depositsAccount, &x.p.DeviceDeposit); err != nil {
		return Receipt{}, err
	}
	id, err := device.Register(x.ws, x.p, x.d.Sender, sigs.KeyType(body.KeyType), body.PublicKey, body.DeviceKind, body.Metadata, x.p.DeviceDeposit)
	if err != nil {
		return Receipt{}, deviceErr(err)
	}
	return Receipt{Return: id[:], Events: []Event{{Type: "device_register", Attributes: []Attribute{{Key: "device", Value: id[:]}, {Key: "owner", Value: x.d.Sender[:]}}}}}, nil
}

func (x *txCall) deviceUpdate(body tx.DeviceUpdate) (Receipt, error) {
	if err := x.charge(x.p.DeviceGas + x.p.Host.StorageWritePerByte*uint64(len(body.Metadata))); err != nil {
		return Receipt{}, err
	}
	if err := device.Update(x.ws, x.p, x.d.Sender, device.ID(body.Device), body.Metadata); err != nil {
		return Receipt{}, deviceErr(err)
	}
	return Receipt{}, nil
}

func (x *txCall) deviceRevoke(body tx.DeviceRevoke) (Receipt, error) {
	if err := x.charge(x.p.DeviceGas); err != nil {
		return Receipt{}, err
	}
	deposit, err := device.Revoke(x.ws, x.d.Sender, device.ID(body.Device))
	if err != nil {
		return Receipt{}, deviceErr(err)
	}
	if !deposit.IsZero() {
		if err := transfer(x.ws, depositsAccount, x.d.Sender, &deposit); err != nil {
			return Receipt{}, &nodeError{fmt.Errorf("runtime: returning a device deposit: %w", err)}
		}
	}
	return Receipt{Events: []Event{{Type: "device_revoke", Attributes: []Attribute{{Key: "device", Value: body.Device[:]}}}}}, nil
}

func (x *txCall) attest(body tx.Attest) (Receipt, error) {
	// The signature's price depends on the device's key type; an unknown
	// device pays the cheapest and is refused by Submit.
	verify := x.p.Host.VerifyEd25519
	if a, err := device.Decode(body.Attestation, x.p); err == nil {
		d, ok, err := device.Get(x.ws, a.Device)
		if err != nil {
			return Receipt{}, &nodeError{err}
		}
		if ok {
			verify = verifyPrice(x, d.KeyType)
		}
	}
	if err := x.charge(x.p.AttestGas + verify + x.p.Host.StorageWritePerByte*uint64(len(body.Attestation))); err != nil {
		return Receipt{}, err
	}
	id, a, err := device.Submit(x.ws, x.p, x.chainID, x.time, body.Attestation)
	if err != nil {
		return Receipt{}, deviceErr(err)
	}
	return Receipt{Return: id[:], Events: []Event{{Type: "attest", Attributes: []Attribute{
		{Key: "id", Value: id[:]}, {Key: "device", Value: a.Device[:]}, {Key: "kind", Value: []byte(a.Kind)},
	}}}}, nil
}

func verifyPrice(x *txCall, t sigs.KeyType) uint64 {
	switch t {
	case sigs.P256:
		return x.p.Host.VerifyP256
	case sigs.Secp256k1:
		return x.p.Host.VerifySecp256k1
	}
	return x.p.Host.VerifyEd25519
}

// deviceCodes maps the device package's refusals to receipt codes.
var deviceCodes = []struct {
	err  error
	code Code
}{
	{device.ErrExists, CodeDeviceExists},
	{device.ErrUnknownDevice, CodeUnknownDevice},
	{device.ErrNotOwner, CodeNotOwner},
	{device.ErrRevoked, CodeRevoked},
	{device.ErrTooLarge, CodeAttestationTooLarge},
	{device.ErrChainID, CodeAttestationChainID},
	{device.ErrBadSignature, CodeAttestationSignature},
	{device.ErrStale, CodeAttestationStale},
	{device.ErrFuture, CodeAttestationFuture},
	{device.ErrReplay, CodeAttestationReplay},
	{device.ErrSeqTooOld, CodeAttestationSeqTooOld},
	{canon.ErrEncoding, CodeAttestationEncoding},
	{sigs.ErrPublicKey, CodeBadDeviceKey},
	{sigs.ErrKeyType, CodeBadDeviceKey},
}

// deviceErr keeps a device refusal as the transaction's failure, and
// anything else (a state read that failed) as the node's.
func deviceErr(err error) error {
	for _, d := range deviceCodes {
		if errors.Is(err, d.err) {
			return &deviceError{code: d.code, err: err}
		}
	}
	return &nodeError{err}
}

// deviceError is a device transaction's refusal, with its receipt code.
type deviceError struct {
	code Code
	err  error
}

func (e *deviceError) Error() string { return e.err.Error() }
func (e *deviceError) Unwrap() error { return e.err }
