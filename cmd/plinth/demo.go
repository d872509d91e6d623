package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/plinthchain/plinth/contracts"
	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/tx"
)

// The demo community every `plinth dev` chain starts with (README,
// "Quickstart"): a solar array split into shares among dev0…dev9, the
// community's governance over those shares (also the chain's privileged
// address), payments with a metering agreement, a maintenance schedule,
// and the array's meter — a device whose key is the well-known dev-meter.
// The contracts are genesis contracts (their committed modules, embedded
// in the binary, written next to the genesis); the device, the agreement
// and the schedule are made by dev0's and dev9's first transactions.

// demo names the genesis contracts' addresses, in genesis order.
type demo struct {
	Shares, Governance, Payments, Maintenance address.Address
	Meter                                     device.ID
}

func demoCommunity() demo {
	k := keystore.DevDeviceKey()
	return demo{
		Shares: address.Contract(runtime.GenesisCreator, 0), Governance: address.Contract(runtime.GenesisCreator, 1),
		Payments: address.Contract(runtime.GenesisCreator, 2), Maintenance: address.Contract(runtime.GenesisCreator, 3),
		Meter: device.NewID(k.Type(), k.Public().Bytes()),
	}
}

// demoGenesisContracts writes the modules into dir and returns the
// genesis "contracts" entries.
func demoGenesisContracts(dir string, keys []ed25519.PrivateKey) ([]map[string]any, error) {
	d := demoCommunity()
	addr := func(i int) string { return address.FromPublicKey(keys[i].Public().(ed25519.PublicKey)).String() }
	var holders []map[string]any
	for i := range keys {
		holders = append(holders, map[string]any{"address": addr(i), "amount": "100"})
	}
	inits := []struct {
		name string
		code []byte
		init map[string]any
	}{
		{"ownership", contracts.Ownership, map[string]any{"name": "Demo solar array", "symbol": "SUN", "asset": "demo roof array, 40 kWp",
			"holders": holders, "admin": addr(0)}},
		{"governance", contracts.Governance, map[string]any{"shares": d.Shares.String(), "voting_period": 60_000, "timelock": 0,
			"execution_window": 3_600_000, "quorum": 3000, "threshold": 5000, "veto": 3340, "deposit": "1000"}},
		{"payments", contracts.Payments, map[string]any{}},
		{"maintenance", contracts.Maintenance, map[string]any{"admin": addr(0)}},
	}
	if err := os.MkdirAll(filepath.Join(dir, "contracts"), 0o700); err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, c := range inits {
		path := filepath.Join("contracts", c.name+".wasm")
		if err := os.WriteFile(filepath.Join(dir, path), c.code, 0o600); err != nil {
			return nil, fmt.Errorf("dev: write %s: %w", path, err)
		}
		init, err := json.Marshal(c.init)
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"code_path": path, "label": "demo " + c.name, "init": hex.EncodeToString(init),
			"admin": d.Governance.String()})
	}
	return out, nil
}

// bootstrapDemo sends the demo's first transactions on a fresh dev
// chain: the meter registered by dev0 with a first reading, a metering
// agreement dev9 prepays, an asset and a cleaning schedule, and revenue
// for the shareholders to claim.
func bootstrapDemo(ctx context.Context, cl *client.Client, chainID string, keys []ed25519.PrivateKey) error {
	d := demoCommunity()
	meter := keystore.DevDeviceKey()
	nonces := map[int]uint64{}
	var last [32]byte
	submit := func(from int, body tx.Body, gas uint64) error {
		raw, err := tx.Sign(&tx.Tx{ChainID: chainID, Nonce: nonces[from], GasLimit: gas, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}, keys[from])
		if err != nil {
			return err
		}
		nonces[from]++
		last, err = cl.Submit(ctx, raw)
		return err
	}
	call := func(from int, c address.Address, method string, in any, funds uint64) error {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		return submit(from, tx.Call{Contract: c, Method: method, Input: b, Funds: canon.NewU256(funds)}, 50_000_000)
	}
	// The API starts with the node: wait for it (a bounded wait).
	var st api.Status
	var err error
	for range 300 {
		if st, err = cl.Status(ctx); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err != nil {
		return err
	}
	reading, err := device.Sign(&device.Attestation{ChainID: chainID, Device: d.Meter, Seq: 1, Time: st.Time + 1000,
		Kind: "kwh", Payload: []byte(`{"reading": "0"}`)}, meter)
	if err != nil {
		return err
	}
	steps := []func() error{
		func() error {
			return submit(0, tx.DeviceRegister{KeyType: uint64(meter.Type()), PublicKey: meter.Public().Bytes(), DeviceKind: "inverter", Metadata: []byte("demo roof array")}, 1_000_000)
		},
		func() error { return submit(0, tx.Attest{Attestation: reading}, 1_000_000) },
		func() error { return call(0, d.Shares, "deposit_revenue", nil, 100_000) },
		func() error {
			return call(0, d.Maintenance, "register_asset", map[string]any{"name": "demo roof array", "devices": []string{d.Meter.String()}}, 0)
		},
		func() error {
			return call(0, d.Maintenance, "add_template", map[string]any{"asset": 1, "name": "clean the panels", "interval": 60_000,
				"grace": 86_400_000, "dispute_window": 60_000, "reward": "5000", "bond": "1000", "proof_kind": "cleaned"}, 50_000)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	// The agreement needs the registered meter's first reading in a block.
	if r, err := cl.Wait(ctx, last, nil); err != nil || r.Receipt.Code != 0 {
		return fmt.Errorf("demo setup: %v %+v", err, r.Receipt)
	}
	if err := call(9, d.Payments, "meter_open", map[string]any{"provider": address.FromPublicKey(keys[0].Public().(ed25519.PublicKey)).String(),
		"device": d.Meter.String(), "kind": "kwh", "price": "2"}, 1_000_000); err != nil {
		return err
	}
	if r, err := cl.Wait(ctx, last, nil); err != nil || r.Receipt.Code != 0 {
		return fmt.Errorf("demo setup: meter_open: %v %+v", err, r.Receipt)
	}
	return nil
}

func printDemo(w io.Writer) {
	d := demoCommunity()
	fmt.Fprintln(w, "Demo community (contracts/…/README.md; the README's quickstart uses them):")
	fmt.Fprintf(w, "  shares       %s  a solar array as 1,000 SUN shares, 100 per dev account; 100,000 of revenue to claim\n", d.Shares)
	fmt.Fprintf(w, "  governance   %s  votes by shares; the chain's privileged address\n", d.Governance)
	fmt.Fprintf(w, "  payments     %s  agreement 1: dev9 buys the array's kWh from dev0 at 2 a unit\n", d.Payments)
	fmt.Fprintf(w, "  maintenance  %s  template 1: clean the panels every minute, reward 5,000, bond 1,000\n", d.Maintenance)
	fmt.Fprintf(w, "  meter        %s  device key dev-meter (plinth device attest --key dev-meter …)\n\n", d.Meter)
}

func logDemo(log *slog.Logger, err error) {
	if err != nil {
		log.Error("demo community setup failed", "err", err)
		return
	}
	log.Info("demo community ready")
}
