package runtime

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/block"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/state"
)

// Genesis is a chain's starting point (docs/protocol.md, "Genesis"): read
// from a JSON file, hashed in canonical CBOR.
type Genesis struct {
	_          struct{} `cbor:",toarray"`
	ChainID    string
	Time       uint64 // ms since the Unix epoch
	Accounts   []GenesisAccount
	Validators []Validator
	Governance address.Address
	Params     params.Params
	Contracts  []GenesisContract
	// Dev marks a development chain (plinth dev): the well-known dev keys
	// may be used on it and on nothing else (docs/keys.md).
	Dev bool
}

// GenesisContract is code deployed and instantiated at genesis, by the
// genesis creator (GenesisCreator): the n-th has the address
// address.Contract(GenesisCreator, n), so a genesis file can name it (as
// its governance address, say) before the chain exists.
type GenesisContract struct {
	_     struct{} `cbor:",toarray"`
	Code  []byte
	Label string
	Init  []byte
	Admin []byte // empty, or an address
	Funds canon.U256
}

// GenesisCreator instantiates the genesis contracts; no key controls it.
var GenesisCreator = moduleAddress("genesis")

// GenesisAccount is an account funded at genesis.
type GenesisAccount struct {
	_       struct{} `cbor:",toarray"`
	Address address.Address
	Balance canon.U256
}

// Validator is a member of the validator set: an ed25519 key and its
// voting power.
type Validator struct {
	_         struct{} `cbor:",toarray"`
	PublicKey []byte
	Power     uint64
	Name      string
}

// ErrGenesis reports a genesis file that cannot start a chain.
var ErrGenesis = errors.New("runtime: invalid genesis")

// genesisJSON is the file's shape (docs/protocol.md).
type genesisJSON struct {
	ChainID     string    `json:"chain_id"`
	GenesisTime time.Time `json:"genesis_time"`
	Accounts    []struct {
		Address address.Address `json:"address"`
		Balance string          `json:"balance"`
	} `json:"accounts"`
	Validators []struct {
		PublicKey string `json:"public_key"`
		Power     uint64 `json:"power"`
		Name      string `json:"name"`
	} `json:"validators"`
	Governance address.Address `json:"governance"`
	Dev        bool            `json:"dev"`
	Params     json.RawMessage `json:"params"`
	Contracts  []struct {
		CodePath string           `json:"code_path"`
		Code     string           `json:"code"` // hex, when there is no code_path
		Label    string           `json:"label"`
		Init     string           `json:"init"` // hex
		Admin    *address.Address `json:"admin"`
		Funds    string           `json:"funds"`
	} `json:"contracts"`
}

// LoadGenesis reads and checks a genesis file; contract code_path is
// relative to the file's directory.
func LoadGenesis(path string) (*Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: genesis: %w", err)
	}
	g, err := parseGenesis(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}

// ParseGenesis reads and checks a genesis file's contents. Unknown fields
// are refused: a misspelt field silently ignored would start another chain.
func ParseGenesis(data []byte) (*Genesis, error) { return parseGenesis(data, "") }

// ParseGenesisIn is ParseGenesis with contract code_path relative to dir
// (for a genesis embedded in another file, as a conformance vector's).
func ParseGenesisIn(data []byte, dir string) (*Genesis, error) { return parseGenesis(data, dir) }

func parseGenesis(data []byte, dir string) (*Genesis, error) {
	var j genesisJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrGenesis, err)
	}
	g := &Genesis{ChainID: j.ChainID, Governance: j.Governance, Params: params.Version1(), Dev: j.Dev}
	var errs []error
	if g.ChainID == "" || len(g.ChainID) > 64 {
		errs = append(errs, fmt.Errorf("chain_id must be 1 to 64 characters"))
	}
	if j.GenesisTime.IsZero() || j.GenesisTime.UnixMilli() <= 0 {
		errs = append(errs, fmt.Errorf("genesis_time missing or before 1970"))
	}
	g.Time = uint64(j.GenesisTime.UnixMilli())
	seen := map[address.Address]bool{}
	for i, a := range j.Accounts {
		bal, err := canon.ParseU256(a.Balance)
		if err != nil {
			errs = append(errs, fmt.Errorf("accounts[%d]: %w", i, err))
		}
		if seen[a.Address] {
			errs = append(errs, fmt.Errorf("accounts[%d]: %s listed twice", i, a.Address))
		}
		seen[a.Address] = true
		g.Accounts = append(g.Accounts, GenesisAccount{Address: a.Address, Balance: bal})
	}
	for i, v := range j.Validators {
		pub, err := hex.DecodeString(v.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			errs = append(errs, fmt.Errorf("validators[%d]: public_key must be 32 bytes of hex", i))
		}
		if v.Power == 0 {
			errs = append(errs, fmt.Errorf("validators[%d]: power 0", i))
		}
		g.Validators = append(g.Validators, Validator{PublicKey: pub, Power: v.Power, Name: v.Name})
	}
	if err := checkValidators(g.Validators); err != nil {
		errs = append(errs, err)
	}
	if len(j.Params) > 0 {
		// Omitted fields keep Version1's values.
		pd := json.NewDecoder(bytes.NewReader(j.Params))
		pd.DisallowUnknownFields()
		if err := pd.Decode(&g.Params); err != nil {
			errs = append(errs, fmt.Errorf("params: %v", err))
		}
	}
	if err := g.Params.Validate(); err != nil {
		errs = append(errs, err)
	}
	for i, c := range j.Contracts {
		gc := GenesisContract{Label: c.Label}
		var err error
		switch {
		case c.CodePath != "" && dir == "":
			err = fmt.Errorf("code_path needs a genesis file to be relative to")
		case c.CodePath != "":
			gc.Code, err = os.ReadFile(filepath.Join(dir, c.CodePath))
		default:
			gc.Code, err = hex.DecodeString(c.Code)
		}
		if err == nil && len(gc.Code) == 0 {
			err = fmt.Errorf("no code")
		}
		if err == nil {
			gc.Init, err = hex.DecodeString(c.Init)
		}
		if err == nil && c.Funds != "" {
			gc.Funds, err = canon.ParseU256(c.Funds)
		}
		if c.Admin != nil {
			gc.Admin = c.Admin[:]
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("contracts[%d]: %w", i, err))
		}
		g.Contracts = append(g.Contracts, gc)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrGenesis, err)
	}
	// The canonical order: the file's order must not change the state.
	slices.SortFunc(g.Accounts, func(a, b GenesisAccount) int { return slices.Compare(a.Address[:], b.Address[:]) })
	return g, nil
}

// Hash identifies the chain: SHA-256 of the canonical encoding of the
// parsed genesis, so formatting and field order in the file do not matter.
func (g *Genesis) Hash() ([32]byte, error) {
	b, err := canon.Marshal(g)
	if err != nil {
		return [32]byte{}, err
	}
	return canon.TaggedHash("plinth/genesis\x00", b), nil
}

// Changes returns the state at height 0: the funded accounts, the
// parameters, the validator set and the privileged address.
func (g *Genesis) Changes() ([]state.Change, error) {
	var cs []state.Change
	for _, a := range g.Accounts {
		b, err := canon.Marshal(Account{Balance: a.Balance})
		if err != nil {
			return nil, err
		}
		cs = append(cs, state.Change{Key: AccountKey(a.Address), Value: b})
	}
	pb, err := g.Params.Encode()
	if err != nil {
		return nil, err
	}
	vb, err := canon.Marshal(g.Validators)
	if err != nil {
		return nil, err
	}
	cs = append(cs,
		state.Change{Key: ParamsKey(0), Value: pb},
		state.Change{Key: ValidatorsKey(), Value: vb},
		state.Change{Key: GovernanceKey(), Value: g.Governance[:]},
	)
	return cs, nil
}

// Header returns the chain's header at height 0, given the root of the
// genesis state: the first block's parent.
func (g *Genesis) Header(stateRoot [32]byte) (block.Header, error) {
	ph, err := g.Params.Hash()
	if err != nil {
		return block.Header{}, err
	}
	vh, err := ValidatorsHash(g.Validators)
	if err != nil {
		return block.Header{}, err
	}
	return block.Header{Version: block.ProtocolVersion, ChainID: g.ChainID, Time: g.Time, StateRoot: stateRoot, ValidatorsHash: vh, ParamsHash: ph}, nil
}

// ValidatorsHash is what headers carry of the validator set.
func ValidatorsHash(vs []Validator) ([32]byte, error) {
	b, err := canon.Marshal(vs)
	if err != nil {
		return [32]byte{}, err
	}
	return canon.TaggedHash("plinth/validators\x00", b), nil
}

// DecodeValidators reads a validator set as the state holds it (under
// ValidatorsKey), checking it as the system call that sets it does.
func DecodeValidators(b []byte) ([]Validator, error) {
	var vs []Validator
	if err := canon.Unmarshal(b, &vs); err != nil {
		return nil, fmt.Errorf("runtime: validator set: %w", err)
	}
	if err := checkValidators(vs); err != nil {
		return nil, fmt.Errorf("runtime: validator set: %w", err)
	}
	return vs, nil
}

// checkValidators checks a validator set: not empty, 32-byte keys, no key
// twice, no zero power.
func checkValidators(vs []Validator) error {
	if len(vs) == 0 {
		return errors.New("no validators")
	}
	seen := map[string]bool{}
	for i, v := range vs {
		if len(v.PublicKey) != ed25519.PublicKeySize {
			return fmt.Errorf("validator %d: key of %d bytes", i, len(v.PublicKey))
		}
		if v.Power == 0 {
			return fmt.Errorf("validator %d: power 0", i)
		}
		if seen[string(v.PublicKey)] {
			return fmt.Errorf("validator %d: key listed twice", i)
		}
		seen[string(v.PublicKey)] = true
	}
	return nil
}
