// Package params is the chain's one versioned value of consensus-visible
// numbers: the VM's gas schedule and limits, transaction and block costs
// and limits, attestation rules, deposits (docs/protocol.md, "Parameters").
// Every header carries the hash of the parameters in force, so two nodes
// that disagree on any number disagree on the first header.
package params

import (
	"errors"
	"fmt"

	"github.com/plinthchain/plinth/hostfns"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/state"
	"github.com/plinthchain/plinth/vm"
)

// Params is one version of the parameters. Field names are the wire and
// genesis names; a change to the set of fields is a new Version.
type Params struct {
	Version uint32

	// VM is the VM's gas schedule and limits (docs/gas.md).
	VM vm.Params
	// Host prices the host ABI's functions (docs/gas.md); HostLimits
	// bounds what one call may make the host hold (docs/abi.md).
	Host       hostfns.Gas
	HostLimits hostfns.Limits
	// InstantiateGas is creating a contract: its address, its record and
	// its first instance.
	InstantiateGas uint64
	// MaxCallDepth bounds contracts on the call stack: a transaction's
	// call, its sub-calls and dispatched calls.
	MaxCallDepth uint32
	// CodeStorePerByte is charged per byte of deployed code, besides the
	// VM's compile cost: every node keeps it forever.
	CodeStorePerByte uint64

	// TxBaseGas is charged to every included transaction: verifying its
	// signature, reading and writing the sender's account.
	TxBaseGas uint64
	// TxByteGas is charged per byte of the signed transaction: it is
	// stored in the block forever.
	TxByteGas uint64
	// TransferGas is a native transfer's execution: the recipient's
	// account read and write.
	TransferGas uint64
	// MinGasPrice is the lowest gas price a valid transaction may offer.
	MinGasPrice canon.U256
	// MaxTxBytes bounds a signed transaction.
	MaxTxBytes uint32

	// MaxBlockGas bounds the sum of a block's gas limits; MaxBlockBytes
	// the sum of its transactions' sizes; MaxBlockCodeBytes the code it
	// deploys (compiling costs about 4 µs a byte, docs/benchmarks.md).
	MaxBlockGas       uint64
	MaxBlockBytes     uint32
	MaxBlockCodeBytes uint32

	// AttestationWindow is how many sequence numbers above the lowest
	// still-tracked one a device may use, out of order; AttestationFreshness
	// how far (ms) an attestation's time may lie from the block's.
	AttestationWindow    uint32
	AttestationFreshness uint64
	MaxAttestationBytes  uint32
	// DeviceDeposit is locked by registering a device and returned on
	// revoking it.
	DeviceDeposit canon.U256
	// DeviceKindBytes bounds a device's and an attestation's kind;
	// DeviceMetadataBytes a device's metadata; AttestationHistory how many
	// attestations per device the history keeps (docs/devices.md).
	DeviceKindBytes     uint32
	DeviceMetadataBytes uint32
	AttestationHistory  uint32
	// DeviceGas is registering, updating or revoking a device (its record
	// written), besides Host.StorageWritePerByte per byte stored.
	DeviceGas uint64
	// AttestGas is accepting an attestation (its records and indexes),
	// besides the verification of its signature (Host.Verify*, by key
	// type) and Host.StorageWritePerByte per byte stored.
	AttestGas uint64

	// Consensus is the BFT engine's numbers (docs/consensus.md).
	Consensus Consensus
}

// Consensus is what validators must agree on to run the Tendermint
// rounds the same way: round timeouts, the pace of blocks, the
// proposer-based time window and the rules for evidence. They are chain
// parameters, not node settings: a validator with shorter timeouts than
// its peers would vote nil on proposals the others wait for.
type Consensus struct {
	// Timeouts of the propose, prevote and precommit steps (ms), each a
	// base plus a delta per round.
	Timeouts Timeouts
	// BlockInterval (ms) is the least time from a block's commit to the
	// next proposal (CometBFT's timeout_commit): the pace of an idle
	// chain, and time for a block to gather transactions. It must stay
	// below the propose timeout.
	BlockInterval uint64
	// Synchrony bounds proposer-based time: clock precision and message
	// delay (ms).
	Synchrony Synchrony
	// MaxEvidenceAge is how many heights back an equivocation may be and
	// still be included; MaxBlockEvidence bounds the pieces of evidence
	// one block holds.
	MaxEvidenceAge   uint64
	MaxBlockEvidence uint32
}

// Timeouts are consensus/tendermint's Params (the same fields: the
// engine converts), kept here because runtime/ does not import
// consensus/.
type Timeouts struct {
	ProposeBase, ProposeDelta     uint64
	PrevoteBase, PrevoteDelta     uint64
	PrecommitBase, PrecommitDelta uint64
}

// Synchrony is consensus/tendermint's Synchrony: PBTS's clock precision
// and message delay (ms).
type Synchrony struct {
	Precision    uint64
	MessageDelay uint64
}

// Version1 is the first set of parameters. Gas is on the VM's scale,
// about a nanosecond of work per unit on the reference machine
// (docs/gas.md): verifying an ed25519 signature is ~50 µs.
func Version1() Params {
	return Params{
		Version:              1,
		VM:                   vm.ParamsV1(),
		Host:                 hostfns.GasV1(),
		HostLimits:           hostfns.LimitsV1(),
		InstantiateGas:       100_000,
		MaxCallDepth:         8,
		CodeStorePerByte:     50,
		TxBaseGas:            60_000,
		TxByteGas:            20,
		TransferGas:          20_000,
		MinGasPrice:          canon.NewU256(1),
		MaxTxBytes:           5 << 20, // a deploy of the largest module, with room for its envelope
		MaxBlockGas:          60_000_000_000,
		MaxBlockBytes:        32 << 20,
		MaxBlockCodeBytes:    8 << 20,
		AttestationWindow:    1024,
		AttestationFreshness: 10 * 60 * 1000,
		MaxAttestationBytes:  4 << 10,
		DeviceDeposit:        canon.NewU256(1_000_000),
		DeviceKindBytes:      64,
		DeviceMetadataBytes:  4 << 10,
		AttestationHistory:   256,
		DeviceGas:            50_000,
		AttestGas:            40_000,
		Consensus: Consensus{
			// CometBFT's defaults.
			Timeouts: Timeouts{ProposeBase: 3000, ProposeDelta: 500, PrevoteBase: 1000, PrevoteDelta: 500,
				PrecommitBase: 1000, PrecommitDelta: 500},
			BlockInterval:    1000,
			Synchrony:        Synchrony{Precision: 500, MessageDelay: 15_000},
			MaxEvidenceAge:   10_000,
			MaxBlockEvidence: 16,
		},
	}
}

// storageKeyOverhead is what the runtime adds to a contract's storage key
// (prefix byte and contract address).
const storageKeyOverhead = 21

// ErrParams reports parameters that cannot be in force.
var ErrParams = errors.New("params: invalid")

// Validate checks that p is a version this build knows and that its
// numbers make a chain that can make progress.
func (p *Params) Validate() error {
	var errs []error
	if p.Version != 1 {
		errs = append(errs, fmt.Errorf("version %d (this build knows 1)", p.Version))
	}
	if err := p.VM.Validate(); err != nil {
		errs = append(errs, err)
	}
	if p.MaxTxBytes == 0 || p.MaxBlockBytes < p.MaxTxBytes {
		errs = append(errs, fmt.Errorf("MaxBlockBytes %d below MaxTxBytes %d", p.MaxBlockBytes, p.MaxTxBytes))
	}
	if p.MaxBlockGas < p.TxBaseGas+p.TransferGas {
		errs = append(errs, fmt.Errorf("MaxBlockGas %d fits no transfer", p.MaxBlockGas))
	}
	l := p.HostLimits
	switch {
	case l.Registers == 0 || l.Registers > hostfns.MaxRegisters:
		errs = append(errs, fmt.Errorf("HostLimits.Registers %d outside 1..%d", l.Registers, hostfns.MaxRegisters))
	case l.KeyBytes == 0 || int(l.KeyBytes)+storageKeyOverhead > state.MaxKeyBytes:
		// A contract's key that the state refuses would fail the block's
		// commit, not the transaction.
		errs = append(errs, fmt.Errorf("HostLimits.KeyBytes %d: stored keys would pass the state's %d bytes", l.KeyBytes, state.MaxKeyBytes))
	case l.ValueBytes == 0 || int(l.ValueBytes) > state.MaxValueBytes:
		errs = append(errs, fmt.Errorf("HostLimits.ValueBytes %d outside 1..%d", l.ValueBytes, state.MaxValueBytes))
	case l.RegisterBytes == 0 || l.EventBytes == 0 || l.MethodBytes == 0 || l.RangeEntries == 0 || l.HistoryEntries == 0 || l.SystemBytes == 0:
		errs = append(errs, errors.New("a HostLimits field is 0"))
	}
	if p.MaxCallDepth == 0 {
		errs = append(errs, errors.New("MaxCallDepth is 0"))
	}
	if p.DeviceKindBytes == 0 || p.DeviceMetadataBytes == 0 || p.AttestationHistory == 0 {
		errs = append(errs, errors.New("a device limit is 0"))
	}
	if p.AttestationWindow == 0 {
		errs = append(errs, errors.New("AttestationWindow is 0"))
	}
	c := p.Consensus
	if c.Timeouts.ProposeBase == 0 || c.Timeouts.PrevoteBase == 0 || c.Timeouts.PrecommitBase == 0 {
		errs = append(errs, errors.New("a Consensus.Timeouts base is 0"))
	}
	if c.BlockInterval >= c.Timeouts.ProposeBase {
		// Validators would time out waiting for a proposal its proposer
		// holds back on purpose.
		errs = append(errs, fmt.Errorf("Consensus.BlockInterval %d ms not below the propose timeout %d ms", c.BlockInterval, c.Timeouts.ProposeBase))
	}
	if c.Synchrony.MessageDelay == 0 {
		errs = append(errs, errors.New("Consensus.Synchrony.MessageDelay is 0"))
	}
	if c.MaxEvidenceAge == 0 || c.MaxBlockEvidence == 0 {
		errs = append(errs, errors.New("Consensus.MaxEvidenceAge or MaxBlockEvidence is 0"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrParams, err)
	}
	return nil
}

// Encode returns the canonical encoding.
func (p *Params) Encode() ([]byte, error) { return canon.Marshal(p) }

// Decode reads a canonical encoding.
func Decode(b []byte) (Params, error) {
	var p Params
	if err := canon.Unmarshal(b, &p); err != nil {
		return Params{}, fmt.Errorf("params: %w", err)
	}
	return p, nil
}

// Hash is what headers carry: SHA-256 of the encoding under a domain tag.
func (p *Params) Hash() ([32]byte, error) {
	b, err := p.Encode()
	if err != nil {
		return [32]byte{}, err
	}
	return canon.TaggedHash("plinth/params\x00", b), nil
}
