package chain

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// TestGenesisContracts: contracts deployed and instantiated by the genesis
// file (code by path and by value) exist from the first block, their init
// ran, and the governance address can name one of them in advance.
func TestGenesisContracts(t *testing.T) {
	dir := t.TempDir()
	counter, err := vmtest.Wat(counterWat)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := vmtest.Wat(govWat)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "counter.wasm"), counter, 0o644); err != nil {
		t.Fatal(err)
	}
	net := newNet(t, 1)
	govAddr := address.Contract(runtime.GenesisCreator, 0)
	counterAddr := address.Contract(runtime.GenesisCreator, 1)
	file := map[string]any{
		"chain_id": chainID, "genesis_time": "2026-12-01T00:00:00Z",
		"accounts":   []map[string]string{{"address": net.addrs[0].String(), "balance": "1000000000"}},
		"validators": []map[string]any{{"public_key": hex.EncodeToString(net.genesis.Validators[0].PublicKey), "power": 1}},
		"governance": govAddr.String(),
		"contracts": []map[string]any{
			{"code": hex.EncodeToString(gov), "label": "governance"},
			{"code_path": "counter.wasm", "label": "counter", "init": hex.EncodeToString(le64(41)), "admin": govAddr.String(), "funds": "5"},
		},
	}
	b, _ := json.Marshal(file)
	path := filepath.Join(dir, "genesis.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := runtime.LoadGenesis(path)
	if err != nil {
		t.Fatal(err)
	}
	c, s := openChain(t, t.TempDir(), g)
	defer s.Close()
	ret, _, _, err := c.Query(context.Background(), counterAddr, "get", nil, 1_000_000)
	if err != nil || string(ret) != string(le64(41)) {
		t.Fatalf("the genesis counter holds %x (%v)", ret, err)
	}
	// The first block commits the genesis state with it.
	if _, _, err := c.Propose(context.Background(), nil, g.Time+1000, net.proposer); err != nil {
		t.Fatal(err)
	}
	if acc, err := runtime.LoadAccount(s, counterAddr); err != nil || acc.Balance.Uint64() != 5 {
		t.Fatalf("the counter's genesis funds: %v %v", acc.Balance, err)
	}
	// ParseGenesis cannot resolve a code_path: it needs the file's place.
	if _, err := runtime.ParseGenesis(b); !errors.Is(err, runtime.ErrGenesis) || !strings.Contains(err.Error(), "code_path") {
		t.Fatalf("code_path without a file: %v", err)
	}
}

// TestGenesisRefused: each kind of bad genesis file is refused, naming
// what is wrong.
func TestGenesisRefused(t *testing.T) {
	net := newNet(t, 1)
	val := hex.EncodeToString(net.genesis.Validators[0].PublicKey)
	base := func() map[string]any {
		return map[string]any{
			"chain_id": chainID, "genesis_time": "2026-12-01T00:00:00Z",
			"accounts":   []map[string]string{{"address": net.addrs[0].String(), "balance": "10"}},
			"validators": []map[string]any{{"public_key": val, "power": 1}},
		}
	}
	for name, c := range map[string]struct {
		mod  func(map[string]any)
		want string
	}{
		"unknown field": {func(m map[string]any) { m["chain"] = "x" }, "unknown field"},
		"no chain id":   {func(m map[string]any) { delete(m, "chain_id") }, "chain_id"},
		"no time":       {func(m map[string]any) { delete(m, "genesis_time") }, "genesis_time"},
		"bad balance": {func(m map[string]any) {
			m["accounts"] = []map[string]string{{"address": net.addrs[0].String(), "balance": "-1"}}
		}, "accounts[0]"},
		"account twice":     {func(m map[string]any) { a := m["accounts"].([]map[string]string); m["accounts"] = append(a, a[0]) }, "listed twice"},
		"bad address":       {func(m map[string]any) { m["accounts"] = []map[string]string{{"address": "plinth1xyz", "balance": "1"}} }, "address"},
		"no validators":     {func(m map[string]any) { m["validators"] = []any{} }, "no validators"},
		"zero power":        {func(m map[string]any) { m["validators"] = []map[string]any{{"public_key": val, "power": 0}} }, "power 0"},
		"short key":         {func(m map[string]any) { m["validators"] = []map[string]any{{"public_key": "abcd", "power": 1}} }, "public_key"},
		"unknown parameter": {func(m map[string]any) { m["params"] = map[string]any{"TransferGass": 1} }, "params"},
		"bad parameters":    {func(m map[string]any) { m["params"] = map[string]any{"MaxCallDepth": 0} }, "MaxCallDepth"},
		"contract no code":  {func(m map[string]any) { m["contracts"] = []map[string]any{{"label": "x"}} }, "no code"},
	} {
		m := base()
		c.mod(m)
		b, _ := json.Marshal(m)
		if _, err := runtime.ParseGenesis(b); !errors.Is(err, runtime.ErrGenesis) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v (want ErrGenesis mentioning %q)", name, err, c.want)
		}
	}
	// A genesis contract that does not initialize stops the chain from
	// starting at all.
	bad, _ := vmtest.Wat(`(module (func (export "init") unreachable))`)
	m := base()
	m["contracts"] = []map[string]any{{"code": hex.EncodeToString(bad), "label": "broken"}}
	b, _ := json.Marshal(m)
	g, err := runtime.ParseGenesis(b)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := runtime.New(context.Background(), runtime.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close(context.Background())
	store, _ := openStore(t)
	defer store.Close()
	if _, err := Open(context.Background(), store, rt, g); !errors.Is(err, runtime.ErrGenesis) || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("a genesis contract whose init traps: %v", err)
	}
}
