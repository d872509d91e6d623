package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// buildBinary builds the real plinth binary once per test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "plinth")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// devNode is a running `plinth dev` process.
type devNode struct {
	cmd    *exec.Cmd
	api    string
	output *bytes.Buffer
}

func startDev(t *testing.T, bin, home, apiAddr string) *devNode {
	t.Helper()
	return startProcess(t, apiAddr, bin, "dev", "--home", home, "--api", apiAddr, "--block-time", "0")
}

// startProcess runs the binary with args and waits until its API on
// apiAddr answers.
func startProcess(t *testing.T, apiAddr, bin string, args ...string) *devNode {
	t.Helper()
	return startProcessEnv(t, nil, apiAddr, bin, args...)
}

// startProcessEnv is startProcess with env added to the process's.
func startProcessEnv(t *testing.T, env []string, apiAddr, bin string, args ...string) *devNode {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &devNode{cmd: cmd, api: "http://" + apiAddr, output: &out}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second) // a hang guard, not a speed check
	for {
		if resp, err := http.Get(d.api + "/v1/status"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("plinth %v never served its API:\n%s", args, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGINT and waits for a clean exit.
func (d *devNode) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("plinth did not exit cleanly: %v\n%s", err, d.output.String())
	}
}

func (d *devNode) get(t *testing.T, path string, v any) int {
	t.Helper()
	resp, err := http.Get(d.api + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

func (d *devNode) post(t *testing.T, path string, body any, v any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(d.api+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %q", path, raw)
	}
	return resp.StatusCode
}

// waitTx polls until the transaction is included.
func (d *devNode) waitTx(t *testing.T, hash string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out map[string]any
		if d.get(t, "/v1/txs/"+hash, &out) == 200 {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("tx %s never included:\n%s", hash, d.output.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *devNode) submit(t *testing.T, key ed25519.PrivateKey, nonce uint64, body tx.Body) map[string]any {
	t.Helper()
	raw, err := tx.Sign(&tx.Tx{ChainID: "plinth-dev", Nonce: nonce, GasLimit: 5_000_000_000, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}, key)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]string
	if code := d.post(t, "/v1/txs", map[string]string{"tx": hex.EncodeToString(raw)}, &out); code != 202 {
		t.Fatalf("submit: %d %v", code, out)
	}
	return d.waitTx(t, out["tx_hash"])
}

// TestDevChainEndToEnd runs the real binary: `plinth dev` serves its API,
// takes a transfer from dev0, refuses a replay, and after a SIGINT and a
// restart on the same home has the same chain and balances.
func TestDevChainEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	home := t.TempDir()
	apiAddr := freeAddr(t)
	d := startDev(t, bin, home, apiAddr)
	keys := keystore.DevKeys(10)
	if !strings.Contains(d.output.String(), address.FromPublicKey(keys[3].Public().(ed25519.PublicKey)).String()) {
		t.Fatalf("the dev accounts are not printed:\n%s", d.output.String())
	}
	to := address.Address{0x42}
	res := d.submit(t, keys[1], 0, tx.Transfer{To: to, Amount: canon.NewU256(1234)})
	if r := res["receipt"].(map[string]any); r["code_name"] != "ok" {
		t.Fatalf("transfer receipt: %v", r)
	}
	var acc map[string]any
	if d.get(t, "/v1/accounts/"+to.String(), &acc); acc["balance"] != "1234" {
		t.Fatalf("recipient: %v", acc)
	}
	// A device: registered, attesting, read back through the API.
	seed := make([]byte, 32)
	seed[31] = 3
	dk, err := sigs.NewPrivateKey(sigs.P256, seed)
	if err != nil {
		t.Fatal(err)
	}
	devID := device.NewID(sigs.P256, dk.Public().Bytes())
	d.submit(t, keys[6], 0, tx.DeviceRegister{KeyType: uint64(sigs.P256), PublicKey: dk.Public().Bytes(), DeviceKind: "meter"})
	var stNow map[string]any
	d.get(t, "/v1/status", &stNow)
	att, err := device.Sign(&device.Attestation{ChainID: "plinth-dev", Device: devID, Seq: 1, Time: uint64(stNow["time"].(float64)), Kind: "energy", Payload: []byte("42 kWh")}, dk)
	if err != nil {
		t.Fatal(err)
	}
	if r := d.submit(t, keys[6], 1, tx.Attest{Attestation: att})["receipt"].(map[string]any); r["code_name"] != "ok" {
		t.Fatalf("attest: %v", r)
	}
	var dev map[string]any
	if code := d.get(t, "/v1/devices/"+hex.EncodeToString(devID[:]), &dev); code != 200 || dev["kind"] != "meter" {
		t.Fatalf("device: %d %v", code, dev)
	}
	var latest []map[string]any
	if code := d.get(t, "/v1/devices/"+hex.EncodeToString(devID[:])+"/attestations?kind=energy", &latest); code != 200 || len(latest) != 1 || latest[0]["payload"] != hex.EncodeToString([]byte("42 kWh")) {
		t.Fatalf("latest attestation: %d %v", code, latest)
	}
	// The same nonce again is refused at the door.
	raw, _ := tx.Sign(&tx.Tx{ChainID: "plinth-dev", Nonce: 0, GasLimit: 1_000_000, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: tx.Transfer{To: to, Amount: canon.NewU256(1)}}}, keys[1])
	var refused map[string]string
	if code := d.post(t, "/v1/txs", map[string]string{"tx": hex.EncodeToString(raw)}, &refused); code != 400 || !strings.Contains(refused["error"], "nonce") {
		t.Fatalf("a replayed nonce: %d %v", code, refused)
	}
	// The same through the CLI, as a script would use it.
	// run: the command path, then the flags, then the positional
	// arguments (urfave/cli stops reading flags at the first argument).
	run := func(path []string, args ...string) (map[string]any, error) {
		t.Helper()
		return plinthJSON(t, bin, append(append(append([]string(nil), path...), "--node", d.api, "--output", "json"), args...)...)
	}
	// A live stream sees the next block.
	stream, err := http.Get(d.api + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	gotBlock := make(chan string, 1)
	go func() {
		defer stream.Body.Close()
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), `"block"`) {
				gotBlock <- sc.Text()
				return
			}
		}
	}()
	sent, err := run([]string{"tx", "transfer"}, "--from", "dev2", "--to", "dev5", "--amount", "77")
	if err != nil || sent["status"] != "ok" || len(sent["tx_hash"].(string)) != 64 || sent["height"].(float64) < 1 {
		t.Fatalf("plinth tx transfer: %v %v", sent, err)
	}
	select {
	case line := <-gotBlock:
		if !strings.Contains(line, `"height":`) {
			t.Fatalf("streamed block: %s", line)
		}
	case <-time.After(60 * time.Second): // a hang guard
		t.Fatal("the event stream sent no block")
	}
	acc5, err := run([]string{"account"}, "dev5")
	if err != nil || acc5["balance"] != "1000000000000000000000077" {
		t.Fatalf("plinth account dev5: %v %v", acc5, err)
	}
	shown, err := run([]string{"tx"}, sent["tx_hash"].(string))
	if err != nil || shown["height"] != sent["height"] {
		t.Fatalf("plinth tx HASH: %v %v", shown, err)
	}
	if _, err := run([]string{"tx", "transfer"}, "--from", "nobody", "--to", "dev5", "--amount", "1", "--keystore", t.TempDir()); err == nil {
		t.Fatal("a transfer from an unknown key succeeded")
	}
	// A contract through the CLI: the SDK's counter example, built by the
	// binary with the real toolchain, with gas estimated by simulation.
	wasm := filepath.Join(t.TempDir(), "counter.wasm")
	built, err := plinthJSON(t, bin, "contract", "build", "--output", "json", filepath.Join("..", "..", "contracts", "examples", "counter"), "-o", wasm)
	if err != nil || len(built["code_hash"].(string)) != 64 {
		t.Fatalf("contract build: %v %v", built, err)
	}
	dep, err := run([]string{"contract", "deploy"}, "--from", "dev3", wasm)
	if err != nil || dep["status"] != "ok" || dep["code_hash"] != built["code_hash"] {
		t.Fatalf("contract deploy: %v %v (built %v)", dep, err, built["code_hash"])
	}
	inst, err := run([]string{"contract", "instantiate"}, "--from", "dev3", "--label", "counter", "--admin", "dev3", dep["code_hash"].(string))
	if err != nil || inst["status"] != "ok" || !strings.HasPrefix(inst["address"].(string), "plinth1") {
		t.Fatalf("contract instantiate: %v %v", inst, err)
	}
	counter := inst["address"].(string)
	dev4, err := run([]string{"account"}, "dev4")
	if err != nil {
		t.Fatal(err)
	}
	for i, from := range []string{"dev3", "dev4"} {
		called, err := run([]string{"contract", "call"}, "--from", from, counter, "increment")
		if err != nil || called["result"].(map[string]any)["count"] != float64(i+1) {
			t.Fatalf("contract call by %s: %v %v, want count %d", from, called, err, i+1)
		}
	}
	count := func() map[string]any {
		t.Helper()
		q, err := run([]string{"contract", "query"}, counter, "count")
		if err != nil {
			t.Fatalf("contract query: %v", err)
		}
		return q["result"].(map[string]any)
	}
	if r := count(); r["count"] != float64(2) || r["last_caller"] != dev4["address"] {
		t.Fatalf("count after two calls: %v, want 2 by %v", r, dev4["address"])
	}
	sim, err := run([]string{"contract", "call"}, "--from", "dev3", "--dry-run", counter, "increment", "{}")
	if err != nil || sim["result"].(map[string]any)["count"] != float64(3) || sim["tx_hash"] != "" {
		t.Fatalf("a dry-run call: %v %v", sim, err)
	}
	if simulated, err := run([]string{"simulate", "contract", "call"}, "--from", "dev4", counter, "increment"); err != nil || simulated["result"].(map[string]any)["count"] != float64(3) || simulated["tx_hash"] != "" {
		t.Fatalf("plinth simulate contract call: %v %v", simulated, err)
	}
	if _, err := run([]string{"simulate", "status"}); err == nil || !strings.Contains(err.Error(), "not a transaction command") {
		t.Fatalf("simulate of a query command: %v", err)
	}
	if r := count(); r["count"] != float64(2) {
		t.Fatalf("count after dry runs: %v (a dry run must write nothing)", r)
	}
	shownC, err := run([]string{"contract", "show"}, counter)
	if err != nil || shownC["label"] != "counter" || shownC["code_hash"] != dep["code_hash"] {
		t.Fatalf("contract show: %v %v", shownC, err)
	}
	// Only the admin (dev3) may migrate; the counter has no migrate
	// export, so moving it to the same code runs nothing and keeps state.
	// (Sent with --gas, past the estimate's refusal: included, failed,
	// exit status 2.)
	if m, err := run([]string{"contract", "migrate"}, "--from", "dev4", "--gas", "1000000", counter, dep["code_hash"].(string)); err == nil || !strings.HasPrefix(err.Error(), "exit status 2") {
		t.Fatalf("a migrate by a non-admin: %v %v", m, err)
	}
	if m, err := run([]string{"contract", "migrate"}, "--from", "dev3", counter, dep["code_hash"].(string)); err != nil || m["status"] != "ok" {
		t.Fatalf("a migrate by the admin: %v %v", m, err)
	}
	if q, err := run([]string{"contract", "query"}, counter, "increment"); err == nil {
		t.Fatalf("a query that writes succeeded: %v", q)
	}
	if bad, err := run([]string{"contract", "call"}, "--from", "dev3", counter, "increment", "[1,"); err == nil || !strings.Contains(err.Error(), "bad input") {
		t.Fatalf("a call with malformed JSON: %v %v", bad, err)
	}
	// The demo community plinth dev starts with: claim revenue, have the
	// meter attest a reading and bill it, propose and vote.
	demo := demoCommunity()
	waitDemo := func() {
		t.Helper()
		for range 600 { // a hang guard: the setup is a few blocks
			if q, err := run([]string{"contract", "query"}, demo.Payments.String(), "meter", `{"id": 1}`); err == nil && q["result"] != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the demo community was never set up")
	}
	waitDemo()
	claimed, err := run([]string{"contract", "call"}, "--from", "dev3", demo.Shares.String(), "claim")
	if err != nil || claimed["result"].(map[string]any)["amount"] != "10000" {
		t.Fatalf("dev3's demo revenue: %v %v", claimed, err)
	}
	meterAtt, err := run([]string{"device", "attest"}, "--from", "dev5", "--key", "dev-meter", "--kind", "kwh", "--seq", "2", `{"reading": "40"}`)
	if err != nil {
		t.Fatalf("attest as the demo meter: %v", err)
	}
	settled, err := run([]string{"contract", "call"}, "--from", "dev5", demo.Payments.String(), "meter_settle", fmt.Sprintf(`{"id": 1, "attestation": %q}`, meterAtt["attestation"]))
	if err != nil || settled["result"].(map[string]any)["bill"] != "80" {
		t.Fatalf("settling the demo meter: %v %v", settled, err)
	}
	prop, err := run([]string{"contract", "call"}, "--from", "dev4", "--funds", "1000", demo.Governance.String(), "propose", `{"title": "clean weekly"}`)
	if err != nil {
		t.Fatalf("a demo proposal: %v", err)
	}
	if _, err := run([]string{"contract", "call"}, "--from", "dev4", demo.Governance.String(), "vote", fmt.Sprintf(`{"id": %v, "option": "yes"}`, prop["result"].(map[string]any)["id"])); err != nil {
		t.Fatalf("a demo vote: %v", err)
	}
	resp, err := http.Get(d.api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"plinth_block_height ", "plinth_txs_total 21", "plinth_mempool_txs 0", "plinth_block_seconds_count"} {
		if !strings.Contains(string(metrics), want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, metrics)
		}
	}
	var st map[string]any
	d.get(t, "/v1/status", &st)
	if st["dev"] != true {
		t.Fatalf("status of a dev chain: %v", st)
	}
	d.stop(t)

	d = startDev(t, bin, home, freeAddr(t))
	var st2 map[string]any
	d.get(t, "/v1/status", &st2)
	if st2["height"] != st["height"] || st2["block_hash"] != st["block_hash"] || st2["genesis_hash"] != st["genesis_hash"] {
		t.Fatalf("after a restart: %v, before: %v", st2, st)
	}
	if d.get(t, "/v1/accounts/"+to.String(), &acc); acc["balance"] != "1234" {
		t.Fatalf("recipient after a restart: %v", acc)
	}
	if r := count(); r["count"] != float64(2) || r["last_caller"] != dev4["address"] {
		t.Fatalf("count after a restart: %v", r)
	}
	res = d.submit(t, keys[1], 1, tx.Transfer{To: to, Amount: canon.NewU256(1)})
	if h := res["height"].(float64); uint64(h) <= uint64(st["height"].(float64)) {
		t.Fatalf("the resumed chain put a tx at height %v, not after %v", h, st["height"])
	}
	d.stop(t)
}

// plinthJSON runs the binary with args and decodes the one JSON object it
// prints; a non-zero exit is an error carrying its stderr.
func plinthJSON(t *testing.T, bin string, all ...string) (map[string]any, error) {
	t.Helper()
	return plinthJSONEnv(t, bin, nil, all...)
}

// plinthJSONEnv is plinthJSON with env added to the environment.
func plinthJSONEnv(t *testing.T, bin string, env []string, all ...string) (map[string]any, error) {
	t.Helper()
	cmd := exec.Command(bin, all...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("plinth %v printed %q", all, out)
	}
	return v, nil
}
