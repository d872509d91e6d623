package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInitAndNodeRun: plinth init makes a home for a new chain, plinth
// node run produces blocks on it and resumes after a clean stop; a
// keystore key funded at genesis sends a transfer, and the well-known dev
// keys are refused on this chain.
func TestInitAndNodeRun(t *testing.T) {
	bin := buildBinary(t)
	home := filepath.Join(t.TempDir(), "node")
	keys := t.TempDir()
	pass := []string{"PLINTH_PASSPHRASE=correct horse battery staple"}

	// An operator key in the encrypted keystore, funded at genesis.
	key, err := plinthJSONEnv(t, bin, pass, "keys", "new", "--keystore", keys, "--output", "json", "treasurer")
	if err != nil {
		t.Fatalf("keys new: %v", err)
	}
	treasurer := key["address"].(string)

	initOut, err := plinthJSON(t, bin, "init", "--home", home, "--chain-id", "coop-1", "--moniker", "roof", "--fund", treasurer+"=5000000000000", "--output", "json")
	if err != nil || initOut["chain_id"] != "coop-1" || initOut["home"] != home {
		t.Fatalf("init: %v %v", initOut, err)
	}
	if _, err := plinthJSON(t, bin, "init", "--home", home, "--chain-id", "coop-2", "--output", "json"); err == nil || !strings.Contains(err.Error(), "already initialized") {
		t.Fatalf("a second init: %v", err)
	}

	api := freeAddr(t)
	n := startProcess(t, api, bin, "node", "run", "--home", home, "--api", api)
	sent, err := plinthJSONEnv(t, bin, pass, "tx", "transfer", "--node", n.api, "--output", "json", "--keystore", keys, "--from", "treasurer", "--to", treasurer, "--amount", "1")
	if err != nil || sent["status"] != "ok" {
		t.Fatalf("a transfer from a keystore key: %v %v", sent, err)
	}
	if _, err := plinthJSONEnv(t, bin, pass, "tx", "transfer", "--node", n.api, "--output", "json", "--from", "dev1", "--to", treasurer, "--amount", "1"); err == nil || !strings.Contains(err.Error(), "usable only on a dev chain") {
		t.Fatalf("a dev key on a real chain: %v", err)
	}
	st, err := plinthJSON(t, bin, "status", "--node", n.api, "--output", "json")
	if err != nil || st["chain_id"] != "coop-1" || st["dev"] == true {
		t.Fatalf("status: %v %v", st, err)
	}
	n.stop(t)

	n = startProcess(t, api, bin, "node", "run", "--home", home, "--api", api)
	st2, err := plinthJSON(t, bin, "status", "--node", n.api, "--output", "json")
	if err != nil || st2["genesis_hash"] != st["genesis_hash"] || st2["height"].(float64) < st["height"].(float64) {
		t.Fatalf("after a restart: %v, before %v (%v)", st2, st, err)
	}
	acc, err := plinthJSON(t, bin, "account", "--node", n.api, "--output", "json", treasurer)
	if err != nil || acc["nonce"] != float64(1) {
		t.Fatalf("the treasurer after a restart: %v %v", acc, err)
	}
	n.stop(t)
}
