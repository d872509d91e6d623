package sdk

import (
	"encoding/json"
	"strconv"
)

// Context is one call's view of the chain: who called and with what,
// the block, the contract's storage (through Item and Map), tokens,
// events, other contracts, devices and cryptography. A handler gets a
// fresh one per call; it is not safe to keep after the handler returns.
type Context struct {
	host     Host
	readOnly bool
}

// NewContext wraps h. Contracts get their Context from Execute; this is
// for test hosts and tools.
func NewContext(h Host) *Context { return &Context{host: h} }

// Host is the host under the context, for what the SDK does not wrap.
func (c *Context) Host() Host { return c.host }

// Caller is who called: the signing account, or a contract.
func (c *Context) Caller() Address { return c.host.Caller() }

// Self is this contract's address.
func (c *Context) Self() Address { return c.host.Self() }

// Origin is the account that signed the transaction.
func (c *Context) Origin() Address { return c.host.Origin() }

// Funds is the amount sent with this call, already in Self's balance.
func (c *Context) Funds() Amount { return c.host.Funds() }

// Block is the block the call runs in.
type Block struct {
	Height uint64 `json:"height"`
	Time   uint64 `json:"time"` // ms since the Unix epoch
}

func (c *Context) Block() Block {
	return Block{Height: c.host.BlockHeight(), Time: c.host.BlockTime()}
}

func (c *Context) ChainID() string  { return c.host.ChainID() }
func (c *Context) TxHash() [32]byte { return c.host.TxHash() }

// Balance is a's balance of the native token.
func (c *Context) Balance(a Address) Amount { return c.host.Balance(a) }

// Transfer sends amount of the native token from this contract to to.
// Insufficient funds end the call.
func (c *Context) Transfer(to Address, amount Amount) { c.host.Transfer(to, amount) }

// Emit adds an event of type typ to the receipt; the chain adds the
// contract's address as attribute _contract.
func (c *Context) Emit(typ string, attrs ...Attribute) { c.host.Emit(typ, attrs) }

// Attr is an event attribute with a text value.
func Attr(key, value string) Attribute { return Attribute{Key: key, Value: []byte(value)} }

// Log writes to the debug log that simulations return; consensus drops it.
func (c *Context) Log(msg string) { c.host.Log(msg) }

// Abort ends the call, failed, with msg as the receipt's message; its
// writes roll back. It does not return.
func (c *Context) Abort(msg string) { c.host.Abort(msg) }

// CallError is how a call of another contract failed; the caller may
// carry on (the callee's writes are rolled back).
type CallError struct {
	Code    uint32 // the receipt code (docs/protocol.md)
	Message string
}

func (e *CallError) Error() string {
	return "call failed (code " + strconv.FormatUint(uint64(e.Code), 10) + "): " + e.Message
}

// Call runs method of contract now with input and funds, returning its
// value or a *CallError.
func (c *Context) Call(contract Address, method string, input []byte, funds Amount) ([]byte, error) {
	code, out := c.host.Call(contract, method, input, funds)
	if code != 0 {
		return nil, &CallError{Code: code, Message: string(out)}
	}
	return out, nil
}

// QueryContract runs method of contract read-only.
func (c *Context) QueryContract(contract Address, method string, input []byte) ([]byte, error) {
	code, out := c.host.Query(contract, method, input)
	if code != 0 {
		return nil, &CallError{Code: code, Message: string(out)}
	}
	return out, nil
}

// CallJSON calls a contract with in encoded as JSON and decodes its JSON
// return value.
func CallJSON[Out any](c *Context, contract Address, method string, in any, funds Amount) (Out, error) {
	return jsonCall[Out](in, func(b []byte) ([]byte, error) { return c.Call(contract, method, b, funds) })
}

// QueryJSON queries a contract with in encoded as JSON and decodes its
// JSON return value.
func QueryJSON[Out any](c *Context, contract Address, method string, in any) (Out, error) {
	return jsonCall[Out](in, func(b []byte) ([]byte, error) { return c.QueryContract(contract, method, b) })
}

func jsonCall[Out any](in any, call func([]byte) ([]byte, error)) (Out, error) {
	var out Out
	b, err := json.Marshal(in)
	if err != nil {
		return out, err
	}
	ret, err := call(b)
	if err != nil {
		return out, err
	}
	if len(ret) > 0 {
		err = json.Unmarshal(ret, &out)
	}
	return out, err
}

// Dispatch queues a call of contract's method that runs after this call
// returns, with this contract as its caller. This call and the calls it
// dispatched succeed or fail as one: if a dispatched call fails, so does
// this one (and the transaction, if this is its own call). This is how a
// contract acts on itself or on a contract that may call it back, without
// re-entry.
func (c *Context) Dispatch(contract Address, method string, input []byte, funds Amount) {
	c.host.Dispatch(contract, method, input, funds)
}

// Migrate queues moving contract, which this contract administers, to
// the stored code codeHash; the new code's migrate export gets input.
func (c *Context) Migrate(contract Address, codeHash [32]byte, input []byte) {
	c.host.DispatchMigrate(contract, codeHash, input)
}

// SetAdmin and ClearAdmin change the admin of a contract this one
// administers; ClearAdmin leaves it without one, for good.
func (c *Context) SetAdmin(contract, admin Address) { c.host.UpdateAdmin(contract, admin) }
func (c *Context) ClearAdmin(contract Address)      { c.host.ClearAdmin(contract) }

// SetParams and SetValidators are the privileged system calls, for the
// governance contract genesis names: new encoded chain parameters from
// height on, a new validator set from the next block.
func (c *Context) SetParams(encoded []byte, height uint64) { c.host.SetParams(encoded, height) }
func (c *Context) SetValidators(encoded []byte)            { c.host.SetValidators(encoded) }

func (c *Context) Sha256(data []byte) [32]byte    { return c.host.Sha256(data) }
func (c *Context) Keccak256(data []byte) [32]byte { return c.host.Keccak256(data) }

// Verify results (docs/abi.md): anything but VerifyOK is a refusal.
const (
	VerifyOK             uint32 = 0
	VerifyInvalid        uint32 = 1
	VerifyHighS          uint32 = 2
	VerifyBadKey         uint32 = 3
	VerifyBadFormat      uint32 = 4
	VerifyUnknownKeyType uint32 = 5
)

// Verify checks sig over msg by pub, returning VerifyOK or why not.
func (c *Context) Verify(kt KeyType, pub, msg, sig []byte) uint32 {
	return c.host.Verify(kt, pub, msg, sig)
}

// Device returns the registered device id (revoked ones too).
func (c *Context) Device(id DeviceID) (Device, bool) {
	b, ok := c.host.DeviceGet(id)
	if !ok {
		return Device{}, false
	}
	d, err := decodeDevice(id, b)
	c.must("device_get", err)
	return d, true
}

// Attestation returns the accepted attestation with id.
func (c *Context) Attestation(id [32]byte) (Attestation, bool) {
	return c.attestation(c.host.AttestationGet(id))
}

// LatestAttestation returns the device's attestation of kind with the
// highest sequence number.
func (c *Context) LatestAttestation(dev DeviceID, kind string) (Attestation, bool) {
	return c.attestation(c.host.AttestationLatest(dev, kind))
}

func (c *Context) attestation(b []byte, ok bool) (Attestation, bool) {
	if !ok {
		return Attestation{}, false
	}
	a, err := decodeAttestation(b)
	c.must("attestation", err)
	return a, true
}

// AttestationHistory returns up to limit (at most 256) kept attestations
// of dev with fromSeq ≤ seq ≤ toSeq, ascending.
func (c *Context) AttestationHistory(dev DeviceID, fromSeq, toSeq uint64, limit uint32) []Attestation {
	as, err := decodeAttestations(c.host.AttestationHistory(dev, fromSeq, toSeq, limit))
	c.must("attestation_history", err)
	return as
}

// CheckAttestation returns 0 if the signed attestation raw would be
// accepted in this block, else its refusal's receipt code (17–29).
func (c *Context) CheckAttestation(raw []byte) uint32 { return c.host.AttestationCheck(raw) }

// must aborts on an error that only a broken host or corrupt storage can
// cause.
func (c *Context) must(what string, err error) {
	if err != nil {
		c.host.Abort("sdk: " + what + ": " + err.Error())
	}
}
