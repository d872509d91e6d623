package sdk

// Device is a registered device (docs/devices.md).
type Device struct {
	ID        DeviceID `json:"id"`
	Owner     Address  `json:"owner"`
	KeyType   KeyType  `json:"key_type"`
	PublicKey []byte   `json:"public_key"`
	Kind      string   `json:"kind"`
	Metadata  []byte   `json:"metadata"`
	Deposit   Amount   `json:"deposit"`
	Revoked   bool     `json:"revoked"`
}

// Attestation is a device's signed statement, as the chain accepted it:
// the signature has been checked, the sequence number is the device's
// and has not been seen before.
type Attestation struct {
	ChainID   string   `json:"chain_id"`
	Device    DeviceID `json:"device"`
	Seq       uint64   `json:"seq"`
	Time      uint64   `json:"time"` // ms since the Unix epoch, the device's clock
	Kind      string   `json:"kind"`
	Payload   []byte   `json:"payload"`
	Signature []byte   `json:"signature"`
}

// decodeDevice reads [owner, key_type, public_key, kind, metadata,
// deposit, revoked].
func decodeDevice(id DeviceID, b []byte) (Device, error) {
	r := cborReader{b: b}
	d := Device{ID: id}
	if r.array() != 7 && r.err == nil {
		r.err = errCBOR
	}
	r.fixed(d.Owner[:])
	d.KeyType = KeyType(r.uint())
	d.PublicKey = r.bytes()
	d.Kind = r.text()
	d.Metadata = r.bytes()
	amount := r.bytes()
	if len(amount) > 32 && r.err == nil {
		r.err = errCBOR
	}
	d.Deposit = AmountFromBytes(amount)
	d.Revoked = r.bool()
	return d, r.done()
}

// readAttestation reads [chain_id, device, seq, time, kind, payload,
// signature].
func readAttestation(r *cborReader) Attestation {
	var a Attestation
	if r.array() != 7 && r.err == nil {
		r.err = errCBOR
	}
	a.ChainID = r.text()
	r.fixed(a.Device[:])
	a.Seq = r.uint()
	a.Time = r.uint()
	a.Kind = r.text()
	a.Payload = r.bytes()
	a.Signature = r.bytes()
	return a
}

func decodeAttestation(b []byte) (Attestation, error) {
	r := cborReader{b: b}
	a := readAttestation(&r)
	return a, r.done()
}

func decodeAttestations(b []byte) ([]Attestation, error) {
	r := cborReader{b: b}
	n := r.array()
	out := make([]Attestation, 0, n)
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, readAttestation(&r))
	}
	return out, r.done()
}

// signedBytes is what a's device signed and what its id hashes: the
// canonical CBOR of [chain_id, device, seq, time, kind, payload]
// (docs/devices.md).
func (a *Attestation) signedBytes() []byte {
	b := cborHead(nil, 4, 6)
	b = append(cborHead(b, 3, uint64(len(a.ChainID))), a.ChainID...)
	b = append(cborHead(b, 2, uint64(len(a.Device))), a.Device[:]...)
	b = cborHead(b, 0, a.Seq)
	b = cborHead(b, 0, a.Time)
	b = append(cborHead(b, 3, uint64(len(a.Kind))), a.Kind...)
	return append(cborHead(b, 2, uint64(len(a.Payload))), a.Payload...)
}

// AttestationID is a's id, as the chain names it (the attest receipt's
// return value, Attestation's argument): SHA-256("plinth/attestation\0" ‖
// the signed bytes), hashed by the host. The host hands out attestations
// without their ids; a contract that keeps records by id (so that no
// reading counts twice) computes it with this.
func (c *Context) AttestationID(a *Attestation) [32]byte {
	return c.host.Sha256(append([]byte("plinth/attestation\x00"), a.signedBytes()...))
}
