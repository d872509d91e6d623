package home

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime/address"
)

func TestInitLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home")
	funded := address.Address{7}
	h, err := Init(dir, Options{ChainID: "grid-1", Moniker: "roof", Time: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Accounts: []Funded{{funded, "1000"}}})
	if err != nil {
		t.Fatal(err)
	}
	if h.Genesis.ChainID != "grid-1" || h.Genesis.Governance != funded || h.Genesis.Dev || len(h.Genesis.Accounts) != 1 {
		t.Fatalf("genesis: %+v", h.Genesis)
	}
	if !h.IsValidator() || h.Genesis.Validators[0].Name != "roof" || h.Config.Moniker != "roof" {
		t.Fatalf("validator set %+v, config %+v", h.Genesis.Validators, h.Config)
	}
	if fi, err := os.Stat(filepath.Join(dir, NodeKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("node key file: %v %v", fi.Mode(), err)
	}
	again, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Key.Equal(h.Key) || !reflect.DeepEqual(again.Config, h.Config) || again.Config.BlockTime.Duration != time.Second {
		t.Fatalf("reloaded %+v, want %+v", again.Config, h.Config)
	}
	// A second init never overwrites the chain or the key.
	if _, err := Init(dir, Options{ChainID: "other"}); !errors.Is(err, ErrExists) {
		t.Fatalf("init over a home: %v", err)
	}
	if _, err := Init(t.TempDir(), Options{}); err == nil || !strings.Contains(err.Error(), "chain id") {
		t.Fatalf("init without a chain id: %v", err)
	}
}

// TestLoadRefuses: a misspelt or invalid setting, a damaged key, and a
// well-known dev key on a chain not made by plinth dev.
func TestLoadRefuses(t *testing.T) {
	fresh := func(t *testing.T) string {
		dir := t.TempDir()
		if _, err := Init(dir, Options{ChainID: "c", Time: time.Unix(1_700_000_000, 0)}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	edit := func(t *testing.T, path, old, new string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), old) {
			t.Fatalf("%s has no %q:\n%s", path, old, b)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	devSeed := hex.EncodeToString(keystore.DevKeys(1)[0].Seed())
	for name, c := range map[string]struct {
		file, old, new, want string
	}{
		"unknown setting":   {ConfigFile, "log_level", "log_levle", `unknown setting "log_levle"`},
		"bad level":         {ConfigFile, `log_level = "info"`, `log_level = "loud"`, "log_level"},
		"bad duration":      {ConfigFile, `block_time = "1s"`, `block_time = "soon"`, "block_time"},
		"negative":          {ConfigFile, `block_time = "1s"`, `block_time = "-1s"`, "negative"},
		"consensus mode":    {ConfigFile, `mode = "solo"`, `mode = "raft"`, "consensus.mode"},
		"no query gas":      {ConfigFile, "query_gas_cap = 10000000000", "query_gas_cap = 0", "query_gas_cap"},
		"short seed":        {NodeKeyFile, `"seed": "`, `"seed": "ab`, "seed"},
		"key type":          {NodeKeyFile, `"ed25519"`, `"rsa"`, "key type"},
		"unknown key field": {NodeKeyFile, `"seed": "`, `"x": "", "seed": "`, "unknown field"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := fresh(t)
			edit(t, filepath.Join(dir, c.file), c.old, c.new)
			if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load: %v, want an error containing %q", err, c.want)
			}
		})
	}
	t.Run("dev key", func(t *testing.T) {
		dir := fresh(t)
		if err := os.WriteFile(filepath.Join(dir, NodeKeyFile), []byte(`{"type": "ed25519", "seed": "`+devSeed+`"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); !errors.Is(err, keystore.ErrDevKey) {
			t.Fatalf("a dev key as the node key of a real chain: %v", err)
		}
	})
	if _, err := Init(t.TempDir(), Options{ChainID: "c", Key: keystore.DevKeys(1)[0]}); err == nil {
		t.Fatal("init with a dev key")
	}
}
