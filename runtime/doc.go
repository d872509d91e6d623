// Package runtime is the state transition: a pure function from (state,
// block) to (receipts, state changes) that every node runs identically
// (docs/protocol.md). It owns the chain's state layout (keys.go), accounts
// and the native token, genesis, fees and receipts. The encodings it
// builds on live in its sub-packages: canon (CBOR), address, tx, block,
// params.
package runtime
