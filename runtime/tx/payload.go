package tx

import (
	"fmt"

	"github.com/fxamacker/cbor/v2"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
)

// Kind numbers a payload on the wire: a payload is the array
// [kind, fields...] (docs/protocol.md, "Transactions").
type Kind uint64

// The payload kinds. Numbers are part of the protocol: never reuse one.
const (
	KindTransfer       Kind = 1
	KindDeploy         Kind = 2
	KindInstantiate    Kind = 3
	KindCall           Kind = 4
	KindMigrate        Kind = 5
	KindDeviceRegister Kind = 6
	KindDeviceUpdate   Kind = 7
	KindDeviceRevoke   Kind = 8
	KindAttest         Kind = 9
)

// Body is what a transaction does: one of the payload types below.
type Body interface{ Kind() Kind }

// Transfer moves native tokens from the sender to To.
type Transfer struct {
	_      struct{} `cbor:",toarray"`
	To     address.Address
	Amount canon.U256
}

// Deploy stores code, once, under its hash.
type Deploy struct {
	_    struct{} `cbor:",toarray"`
	Code []byte
}

// Instantiate creates a contract from stored code.
type Instantiate struct {
	_        struct{} `cbor:",toarray"`
	CodeHash [32]byte
	Init     []byte
	Label    string
	Admin    []byte // empty (no admin) or an address's 20 bytes
	Funds    canon.U256
}

// Call calls a contract's method.
type Call struct {
	_        struct{} `cbor:",toarray"`
	Contract address.Address
	Method   string
	Input    []byte
	Funds    canon.U256
}

// Migrate moves a contract to other code; only its admin may.
type Migrate struct {
	_        struct{} `cbor:",toarray"`
	Contract address.Address
	CodeHash [32]byte
	Input    []byte
}

// DeviceRegister registers a device by its public key.
type DeviceRegister struct {
	_          struct{} `cbor:",toarray"`
	KeyType    uint64
	PublicKey  []byte
	DeviceKind string
	Metadata   []byte
}

// DeviceUpdate replaces a device's metadata; only its owner may.
type DeviceUpdate struct {
	_        struct{} `cbor:",toarray"`
	Device   address.Address
	Metadata []byte
}

// DeviceRevoke revokes a device; only its owner may.
type DeviceRevoke struct {
	_      struct{} `cbor:",toarray"`
	Device address.Address
}

// Attest submits a device's signed attestation.
type Attest struct {
	_           struct{} `cbor:",toarray"`
	Attestation []byte
}

func (Transfer) Kind() Kind       { return KindTransfer }
func (Deploy) Kind() Kind         { return KindDeploy }
func (Instantiate) Kind() Kind    { return KindInstantiate }
func (Call) Kind() Kind           { return KindCall }
func (Migrate) Kind() Kind        { return KindMigrate }
func (DeviceRegister) Kind() Kind { return KindDeviceRegister }
func (DeviceUpdate) Kind() Kind   { return KindDeviceUpdate }
func (DeviceRevoke) Kind() Kind   { return KindDeviceRevoke }
func (Attest) Kind() Kind         { return KindAttest }

// newBody returns an empty body of kind k.
func newBody(k Kind) (Body, bool) {
	switch k {
	case KindTransfer:
		return &Transfer{}, true
	case KindDeploy:
		return &Deploy{}, true
	case KindInstantiate:
		return &Instantiate{}, true
	case KindCall:
		return &Call{}, true
	case KindMigrate:
		return &Migrate{}, true
	case KindDeviceRegister:
		return &DeviceRegister{}, true
	case KindDeviceUpdate:
		return &DeviceUpdate{}, true
	case KindDeviceRevoke:
		return &DeviceRevoke{}, true
	case KindAttest:
		return &Attest{}, true
	}
	return nil, false
}

// Payload carries a Body on the wire as [kind, fields...].
type Payload struct{ Body Body }

// MarshalCBOR implements cbor.Marshaler.
func (p Payload) MarshalCBOR() ([]byte, error) {
	if p.Body == nil {
		return nil, fmt.Errorf("tx: empty payload")
	}
	fields, err := canon.Marshal(p.Body)
	if err != nil {
		return nil, err
	}
	// fields is the body's array: splice the kind in front of its items.
	var items []cbor.RawMessage
	if err := cbor.Unmarshal(fields, &items); err != nil {
		return nil, err
	}
	kind, err := canon.Marshal(uint64(p.Body.Kind()))
	if err != nil {
		return nil, err
	}
	return canon.Marshal(append([]cbor.RawMessage{kind}, items...))
}

// UnmarshalCBOR implements cbor.Unmarshaler.
func (p *Payload) UnmarshalCBOR(data []byte) error {
	var items []cbor.RawMessage
	if err := cbor.Unmarshal(data, &items); err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("empty payload")
	}
	var k uint64
	if err := cbor.Unmarshal(items[0], &k); err != nil {
		return fmt.Errorf("payload kind: %w", err)
	}
	body, ok := newBody(Kind(k))
	if !ok {
		return fmt.Errorf("unknown payload kind %d", k)
	}
	rest, err := cbor.Marshal(items[1:])
	if err != nil {
		return err
	}
	if err := cbor.Unmarshal(rest, body); err != nil {
		return fmt.Errorf("payload kind %d: %w", k, err)
	}
	p.Body = derefBody(body)
	return nil
}

// derefBody turns the pointer newBody made back into the value type, so
// a decoded payload holds the same types as one built by hand.
func derefBody(b Body) Body {
	switch v := b.(type) {
	case *Transfer:
		return *v
	case *Deploy:
		return *v
	case *Instantiate:
		return *v
	case *Call:
		return *v
	case *Migrate:
		return *v
	case *DeviceRegister:
		return *v
	case *DeviceUpdate:
		return *v
	case *DeviceRevoke:
		return *v
	case *Attest:
		return *v
	}
	return b
}
