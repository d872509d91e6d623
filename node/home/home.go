// Package home is a node's home directory: its configuration, the
// chain's genesis, the node's key and its data, in one place an operator
// can back up, inspect and move (docs/node.md).
//
//	config.toml     what the operator tunes (Config)
//	genesis.json    the chain (docs/protocol.md, "Genesis")
//	node_key.json   the node's ed25519 key: it signs blocks as a validator
//	data/           the state store and the compiled-code cache
//
// Init writes a new home for a single validator; Load reads one back and
// checks that its parts belong together.
package home

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
)

// File names inside a home.
const (
	ConfigFile  = "config.toml"
	GenesisFile = "genesis.json"
	NodeKeyFile = "node_key.json"
	DataDir     = "data"
)

// Config is config.toml: what an operator may change between restarts
// without changing the chain. Consensus-visible numbers are not here;
// they are chain parameters in the genesis.
type Config struct {
	// Moniker names the node to people (logs, the validator's name).
	Moniker string `toml:"moniker"`
	// BlockTime is the time between blocks of a solo node; 0 makes a
	// block as soon as a transaction arrives. A network of validators
	// keeps the pace its chain parameters set
	// (params.Consensus.BlockInterval, in the genesis).
	BlockTime Duration        `toml:"block_time"`
	API       APIConfig       `toml:"api"`
	Mempool   MempoolConfig   `toml:"mempool"`
	Consensus ConsensusConfig `toml:"consensus"`
	P2P       P2PConfig       `toml:"p2p"`
	// QueryGasCap bounds the gas of queries and simulations the API runs.
	QueryGasCap uint64 `toml:"query_gas_cap"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`
}

// APIConfig is the HTTP API's section (node/api.Config).
type APIConfig struct {
	Addr          string   `toml:"addr"`
	MaxBodyBytes  int64    `toml:"max_body_bytes"`
	MaxConcurrent int      `toml:"max_concurrent"`
	Timeout       Duration `toml:"timeout"`
}

// MempoolConfig is the mempool's section (node/mempool.Config).
type MempoolConfig struct {
	MaxTxs             int    `toml:"max_txs"`
	MaxBytes           int    `toml:"max_bytes"`
	MaxFuturePerSender int    `toml:"max_future_per_sender"`
	ReplaceBumpPercent uint64 `toml:"replace_bump_percent"`
}

// ConsensusConfig is how the node takes part in making blocks.
type ConsensusConfig struct {
	// Mode is "solo" (the node makes every block: it is the chain's only
	// validator) or "bft" (a network of validators, over p2p).
	// The rounds' timeouts are chain parameters (params.Consensus, in the
	// genesis), not settings: every validator must use the same.
	Mode string `toml:"mode"`
}

// P2PConfig is the libp2p section (node/p2p, docs/p2p.md).
type P2PConfig struct {
	// Listen are multiaddrs to listen on.
	Listen []string `toml:"listen"`
	// Bootstrap are peers to dial at start: multiaddrs ending /p2p/<id>.
	Bootstrap []string `toml:"bootstrap"`
	// MDNS finds peers of the same chain on the local network.
	MDNS bool `toml:"mdns"`
}

// Duration is a time.Duration written as "1s" in TOML.
type Duration struct{ time.Duration }

func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %s: negative", b)
	}
	d.Duration = v
	return nil
}

// DefaultConfig is a node serving its API on loopback, making a block a
// second; the mempool and API defaults are their packages'.
func DefaultConfig(moniker string) Config {
	return Config{
		Moniker:   moniker,
		BlockTime: Duration{time.Second},
		API: APIConfig{Addr: "127.0.0.1:8680", MaxBodyBytes: 12 << 20, MaxConcurrent: 64,
			Timeout: Duration{30 * time.Second}},
		Mempool:     MempoolConfig{MaxTxs: 10_000, MaxBytes: 64 << 20, MaxFuturePerSender: 16, ReplaceBumpPercent: 10},
		QueryGasCap: 10_000_000_000,
		LogLevel:    "info",
		Consensus:   ConsensusConfig{Mode: "solo"},
		P2P:         P2PConfig{Listen: []string{"/ip4/0.0.0.0/tcp/26656"}, Bootstrap: []string{}},
	}
}

func (c *Config) validate() error {
	var errs []error
	if c.API.Addr == "" {
		errs = append(errs, errors.New("api.addr is empty"))
	}
	if c.API.MaxBodyBytes <= 0 || c.API.MaxConcurrent <= 0 || c.API.Timeout.Duration <= 0 {
		errs = append(errs, errors.New("api.max_body_bytes, api.max_concurrent and api.timeout must be positive"))
	}
	if c.QueryGasCap == 0 {
		errs = append(errs, errors.New("query_gas_cap is 0: no query could run"))
	}
	switch c.Consensus.Mode {
	case "solo":
	case "bft":
		if len(c.P2P.Listen) == 0 {
			errs = append(errs, errors.New("p2p.listen is empty: a bft node must listen for its peers"))
		}
	default:
		errs = append(errs, fmt.Errorf("consensus.mode %q: want solo or bft", c.Consensus.Mode))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// nodeKeyFile is node_key.json. The key is stored in the clear (mode
// 0600): a validator must restart unattended, so no passphrase can guard
// it; protect the file as the validator's identity (docs/node.md).
type nodeKeyFile struct {
	Type string `json:"type"`
	Seed string `json:"seed"`
}

// Home is a loaded home directory.
type Home struct {
	Dir     string
	Config  Config
	Genesis *runtime.Genesis
	Key     ed25519.PrivateKey
}

// DataPath is the directory of the node's data.
func (h *Home) DataPath() string { return filepath.Join(h.Dir, DataDir) }

// Address is the node key's account address (where its fees go).
func (h *Home) Address() address.Address {
	return address.FromPublicKey(h.Key.Public().(ed25519.PublicKey))
}

// Options are what Init needs to write a new chain's genesis.
type Options struct {
	ChainID string
	Moniker string
	// Time is the genesis time (the chain's first block comes after it).
	Time time.Time
	// Accounts are funded at genesis: address text → decimal amount.
	Accounts []Funded
	// Governance is the privileged address; the first funded account if
	// zero, else the node key's address.
	Governance address.Address
	// Key is the node key; a new random one if nil.
	Key ed25519.PrivateKey
	// Validators, if set, is the genesis validator set (a network's);
	// otherwise the node key alone, with power 1.
	Validators []runtime.Validator
	// Config, if set, is the config.toml written (otherwise
	// DefaultConfig(Moniker)).
	Config *Config
	// Params, if set, is the genesis "params" object: fields laid over
	// params.Version1 (e.g. {"Consensus": {"BlockInterval": 500}}).
	Params map[string]any
}

// Funded is an account funded at genesis.
type Funded struct {
	Address address.Address
	Amount  string
}

// ErrExists is the error of initializing over an existing home.
var ErrExists = errors.New("home: already initialized")

// Init writes a new home in dir for a chain whose single validator is the
// node key. It refuses to touch a directory that already has any of the
// home's files, so an existing chain or key is never overwritten.
func Init(dir string, opts Options) (*Home, error) {
	for _, f := range []string{ConfigFile, GenesisFile, NodeKeyFile, DataDir} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("%w: %s exists", ErrExists, filepath.Join(dir, f))
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("init %s: %w", dir, err)
		}
	}
	if opts.ChainID == "" {
		return nil, errors.New("init: a chain id is required")
	}
	key := opts.Key
	if key == nil {
		var err error
		if _, key, err = ed25519.GenerateKey(nil); err != nil {
			return nil, fmt.Errorf("init: node key: %w", err)
		}
	}
	pub := key.Public().(ed25519.PublicKey)
	if keystore.IsDevKey(pub) {
		return nil, errors.New("init: the node key is a well-known dev key; those are for plinth dev only")
	}
	gov := opts.Governance
	if gov == (address.Address{}) {
		gov = address.FromPublicKey(pub)
		if len(opts.Accounts) > 0 {
			gov = opts.Accounts[0].Address
		}
	}
	type account struct {
		Address address.Address `json:"address"`
		Balance string          `json:"balance"`
	}
	accounts := []account{}
	for _, a := range opts.Accounts {
		accounts = append(accounts, account{a.Address, a.Amount})
	}
	moniker := opts.Moniker
	if moniker == "" {
		moniker = "node"
	}
	validators := []map[string]any{{"public_key": hex.EncodeToString(pub), "power": 1, "name": moniker}}
	if len(opts.Validators) > 0 {
		validators = nil
		for _, v := range opts.Validators {
			validators = append(validators, map[string]any{"public_key": hex.EncodeToString(v.PublicKey), "power": v.Power, "name": v.Name})
		}
	}
	gj := map[string]any{
		"chain_id":     opts.ChainID,
		"genesis_time": opts.Time.UTC().Truncate(time.Second).Format(time.RFC3339),
		"accounts":     accounts,
		"validators":   validators,
		"governance":   gov,
	}
	if opts.Params != nil {
		gj["params"] = opts.Params
	}
	genesis, err := json.MarshalIndent(gj, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("init: genesis: %w", err)
	}
	if _, err := runtime.ParseGenesis(genesis); err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	keyJSON, err := json.MarshalIndent(nodeKeyFile{Type: "ed25519", Seed: hex.EncodeToString(key.Seed())}, "", "  ")
	if err != nil {
		return nil, err
	}
	var config bytes.Buffer
	config.WriteString(configHeader)
	cfg := DefaultConfig(moniker)
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("init: config: %w", err)
	}
	if err := toml.NewEncoder(&config).Encode(cfg); err != nil {
		return nil, fmt.Errorf("init: config: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("init %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{NodeKeyFile, append(keyJSON, '\n'), 0o600},
		{GenesisFile, append(genesis, '\n'), 0o644},
		{ConfigFile, config.Bytes(), 0o644},
	} {
		if err := writeNew(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return nil, fmt.Errorf("init %s: %w", dir, err)
		}
	}
	return Load(dir)
}

const configHeader = `# Plinth node configuration (docs/node.md). Changes take effect at the
# next start. Chain parameters (gas, limits, fees) are not here: they are
# in genesis.json and change only by governance.

`

// writeNew creates path with data, failing if it exists, and syncs it.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Load reads the home in dir: the config (unknown keys are an error, so a
// misspelt setting is not silently ignored), the genesis and the node
// key, and checks that they belong together.
func Load(dir string) (*Home, error) {
	h := &Home{Dir: dir, Config: DefaultConfig("node")}
	md, err := toml.DecodeFile(filepath.Join(dir, ConfigFile), &h.Config)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		return nil, fmt.Errorf("load %s: unknown setting %q", filepath.Join(dir, ConfigFile), undecoded[0].String())
	}
	if err := h.Config.validate(); err != nil {
		return nil, fmt.Errorf("load %s: %w", filepath.Join(dir, ConfigFile), err)
	}
	if h.Genesis, err = runtime.LoadGenesis(filepath.Join(dir, GenesisFile)); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	if h.Key, err = loadKey(filepath.Join(dir, NodeKeyFile)); err != nil {
		return nil, fmt.Errorf("load %s: %w", dir, err)
	}
	pub := h.Key.Public().(ed25519.PublicKey)
	if err := keystore.CheckAllowed(pub, h.Genesis.Dev); err != nil {
		return nil, fmt.Errorf("load %s: node key: %w", dir, err)
	}
	return h, nil
}

// loadKey reads the node key; it refuses a file others can read.
func loadKey(path string) (ed25519.PrivateKey, error) { return privval.LoadKey(path) }

// IsValidator reports whether the node key is in the genesis validator
// set: a solo producer must be its only member to make valid blocks.
func (h *Home) IsValidator() bool {
	pub := h.Key.Public().(ed25519.PublicKey)
	for _, v := range h.Genesis.Validators {
		if bytes.Equal(v.PublicKey, pub) {
			return true
		}
	}
	return false
}
