// Package testvectors runs the conformance vectors: JSON files, each a
// genesis and a list of blocks of signed transactions with the receipts
// and state root every implementation must reach (docs/vectors.md). The
// files under this directory are the frozen contract; `plinth vectors
// run DIR` and TestVectors check an implementation — this one — against
// them, and testvectors/gen writes them.
package testvectors

import (
	"encoding/hex"
	"encoding/json"
	"errors"
)

// Format is the vector file format's version.
const Format = 1

// Vector is one conformance vector.
type Vector struct {
	Format      int    `json:"format"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// Derivation says where the expected values come from: "generated"
	// (filled in from this implementation and frozen), or "hand: …", the
	// arithmetic from docs/protocol.md, docs/gas.md and docs/abi.md that
	// gives them.
	Derivation string `json:"derivation"`
	// Genesis is a genesis file's contents (docs/protocol.md, "Genesis");
	// contract code_path is relative to the vector's directory.
	Genesis json.RawMessage `json:"genesis"`
	Blocks  []Block         `json:"blocks"`
}

// Block is the block a proposer builds from Txs at Time (docs/protocol.md,
// "Blocks": the header follows from the parent, the transactions and the
// outcome), and what must come of it.
type Block struct {
	Time     uint64 `json:"time"`
	Proposer string `json:"proposer"`
	// Txs are signed envelopes.
	Txs []Hex `json:"txs"`
	// Evidence is encoded equivocation evidence (docs/consensus.md,
	// "Evidence"), applied before the transactions.
	Evidence []Hex  `json:"evidence,omitempty"`
	Expect   Expect `json:"expect"`
}

// Expect is a block's outcome: receipts, state root and block hash, or
// the block's refusal because of an invalid transaction (and then the
// chain stays where it was).
type Expect struct {
	Receipts  []Receipt `json:"receipts,omitempty"`
	StateRoot Hex       `json:"state_root,omitempty"`
	BlockHash Hex       `json:"block_hash,omitempty"`
	Invalid   *Invalid  `json:"invalid,omitempty"`
	// Accounts are some accounts' state after the block (address →
	// state), for the vectors derived by hand: balances are what a reader
	// of docs/protocol.md can check without computing a state root.
	Accounts map[string]Account `json:"accounts,omitempty"`
}

// Account is an account's state.
type Account struct {
	Balance string `json:"balance"`
	Nonce   uint64 `json:"nonce"`
}

// Invalid names the first invalid transaction and why (a Reason); for
// reason "evidence", Tx is the index in the block's evidence.
type Invalid struct {
	Tx     int    `json:"tx"`
	Reason string `json:"reason"`
}

// Receipt is runtime.Receipt in JSON.
type Receipt struct {
	Code    uint32  `json:"code"`
	GasUsed uint64  `json:"gas_used"`
	Events  []Event `json:"events"`
	Return  Hex     `json:"return"`
	Message string  `json:"message"`
}

// Event is a receipt's event.
type Event struct {
	Type       string      `json:"type"`
	Attributes []Attribute `json:"attributes"`
}

// Attribute is an event attribute; values are bytes, in hex.
type Attribute struct {
	Key   string `json:"key"`
	Value Hex    `json:"value"`
}

// Hex is bytes as a hex string.
type Hex []byte

func (h Hex) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *Hex) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return errors.Join(errors.New("not hex"), err)
	}
	*h = v
	return nil
}
