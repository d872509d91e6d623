// Package canon is the protocol's one encoding: RFC 8949 core
// deterministic CBOR, decoded strictly. Every value that is hashed or
// signed goes through it, so one value has exactly one encoding and one
// hash (docs/protocol.md, "Encoding").
package canon

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// ErrEncoding reports bytes that are not the canonical encoding of a
// value of the expected type: malformed, truncated, with trailing bytes,
// or encoded some other valid but non-canonical way.
var ErrEncoding = errors.New("canon: not a canonical encoding")

// codec holds the encoder and decoder modes. They are fixed by the
// protocol, immutable and safe for concurrent use, so one pair serves the
// whole process, as a lookup table would.
var codec = newCodec()

type modes struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

func newCodec() modes {
	eo := cbor.CoreDetEncOptions()
	// A nil byte string or list encodes as an empty one, not as null:
	// otherwise "no bytes" would have two encodings (null and empty),
	// both decoding to a value that re-encodes unchanged.
	eo.NilContainers = cbor.NilContainerAsEmpty
	enc, err := eo.EncMode()
	if err != nil {
		panic(fmt.Sprintf("canon: encoder options: %v", err)) // fixed options: a bug, not input
	}
	dec, err := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxNestedLevels:   16,
		MaxArrayElements:  1 << 17,
		MaxMapPairs:       1 << 12,
		UTF8:              cbor.UTF8RejectInvalid,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("canon: decoder options: %v", err))
	}
	return modes{enc: enc, dec: dec}
}

// Marshal encodes v canonically.
func Marshal(v any) ([]byte, error) {
	b, err := codec.enc.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canon: encode %T: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes data into v, and refuses it unless v encodes back to
// exactly data: a second encoding of the same value would be a second
// hash of it.
func Unmarshal(data []byte, v any) error {
	if err := codec.dec.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrEncoding, v, err)
	}
	again, err := codec.enc.Marshal(v)
	if err != nil {
		return fmt.Errorf("%w: %T: re-encoding: %v", ErrEncoding, v, err)
	}
	if !bytes.Equal(again, data) {
		return fmt.Errorf("%w: %T: bytes are valid CBOR but not the canonical form", ErrEncoding, v)
	}
	return nil
}

// UnmarshalStored decodes bytes this node wrote itself, into state: as
// strict as Unmarshal about what it accepts, without the re-encoding check
// (the state tree's root already commits to the exact bytes, and every
// read of an account pays for the check otherwise).
func UnmarshalStored(data []byte, v any) error {
	if err := codec.dec.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrEncoding, v, err)
	}
	return nil
}
