package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plinthchain/plinth/node/home"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
)

// freePortRange finds n consecutive free TCP ports on 127.0.0.1.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	for range 100 {
		base := 10000 + rand.IntN(22000) // below the ephemeral range, which dials draw from
		ok := true
		for i := 0; i < n && ok; i++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", base+i))
			if err != nil {
				ok = false
				continue
			}
			ln.Close()
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free port range")
	return 0
}

func (d *devNode) height(t *testing.T) uint64 {
	t.Helper()
	var st map[string]any
	if d.get(t, "/v1/status", &st) != 200 {
		t.Fatalf("status: %v", st)
	}
	return uint64(st["height"].(float64))
}

// waitHeight waits until the node has committed h (a hang guard, not a
// speed check).
func (d *devNode) waitHeight(t *testing.T, h uint64) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for d.height(t) < h {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached height %d (at %d):\n%s", d.api, h, d.height(t), d.output.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *devNode) block(t *testing.T, h uint64) map[string]any {
	t.Helper()
	var b map[string]any
	if code := d.get(t, "/v1/blocks/"+strconv.FormatUint(h, 10), &b); code != 200 {
		t.Fatalf("%s: block %d: %d %v", d.api, h, code, b)
	}
	return b
}

// TestTestnetEndToEnd runs a network of real processes: `plinth testnet`
// writes four validators and a follower; four `plinth node run`
// processes commit blocks over libp2p on loopback; transfers submitted to
// different nodes are all committed; every node holds the same blocks
// and state roots; one validator killed with SIGKILL leaves the others
// committing, and restarted it replays its WAL and catches up; the
// follower, started once the chain is past 1,000 blocks, syncs them from
// several peers and then follows the head.
func TestTestnetEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	apiPort, p2pPort := freePortRange(t, 5), freePortRange(t, 5)
	r := runPlinth(t, bin, nil, "", "testnet", "--validators", "4", "--followers", "1", "--dir", dir,
		"--api-port", strconv.Itoa(apiPort), "--p2p-port", strconv.Itoa(p2pPort), "--block-time", "0s")
	if r.code != 0 {
		t.Fatalf("testnet: exit %d\n%s", r.code, r.stderr)
	}
	start := func(i int) *devNode {
		return startProcess(t, fmt.Sprintf("127.0.0.1:%d", apiPort+i), bin, "node", "run", "--home", filepath.Join(dir, fmt.Sprintf("node%d", i)))
	}
	var nodes []*devNode
	for i := range 4 {
		nodes = append(nodes, start(i))
	}
	for _, n := range nodes {
		n.waitHeight(t, 3)
	}

	// A transfer from each validator's account, each sent to another
	// node than the proposer-to-be: gossip carries it.
	keys := make([]ed25519.PrivateKey, 5)
	for i := range keys {
		h, err := home.Load(filepath.Join(dir, fmt.Sprintf("node%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = h.Key
	}
	var hashes []string
	for i := range 4 {
		to := address.FromPublicKey(keys[4].Public().(ed25519.PublicKey))
		raw, err := tx.Sign(&tx.Tx{ChainID: "plinth-testnet", Nonce: 0, GasLimit: 200_000, GasPrice: canon.NewU256(1),
			Payload: tx.Payload{Body: tx.Transfer{To: to, Amount: canon.NewU256(uint64(1000 + i))}}}, keys[i])
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]string
		if code := nodes[(i+1)%4].post(t, "/v1/txs", map[string]string{"tx": hex.EncodeToString(raw)}, &out); code != 202 {
			t.Fatalf("submit to node %d: %d %v", (i+1)%4, code, out)
		}
		hashes = append(hashes, out["tx_hash"])
	}
	for _, h := range hashes {
		if rc := nodes[0].waitTx(t, h); rc["receipt"].(map[string]any)["code_name"] != "ok" {
			t.Fatalf("transfer %s: %v", h, rc)
		}
	}
	// Node 2 may be a block behind node 0, which saw them committed.
	nodes[2].waitHeight(t, nodes[0].height(t))
	var acc map[string]any
	nodes[2].get(t, "/v1/accounts/"+address.FromPublicKey(keys[4].Public().(ed25519.PublicKey)).String(), &acc)
	if acc["balance"] != "4006" {
		t.Fatalf("the follower's account holds %v, want 4006", acc["balance"])
	}

	// One validator dies; three of four keep committing.
	if err := nodes[3].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = nodes[3].cmd.Wait()
	at := nodes[0].height(t)
	nodes[0].waitHeight(t, at+20)
	// It comes back from its WAL and store, and catches up.
	nodes[3] = start(3)
	nodes[3].waitHeight(t, nodes[0].height(t))
	// The blocks it was away for came by catch-up, without its
	// signature: its status counts them.
	var st3 map[string]any
	nodes[3].get(t, "/v1/status", &st3)
	if st3["missed_blocks"].(float64) < 15 || st3["synced_blocks"].(float64) < 15 {
		t.Fatalf("restarted validator's status: %v", st3)
	}

	// Past 1,000 blocks, the follower starts, syncs them and follows.
	nodes[0].waitHeight(t, 1000)
	follower := start(4)
	target := nodes[0].height(t)
	follower.waitHeight(t, target)
	later := nodes[0].height(t) + 10
	follower.waitHeight(t, later)
	var st map[string]any
	follower.get(t, "/v1/status", &st)
	if st["consensus"] != "bft" || st["validator"] != nil || st["validators"] != float64(4) ||
		st["synced_blocks"].(float64) < float64(target) || st["missed_blocks"] != float64(0) {
		t.Fatalf("follower status: %v", st)
	}
	t.Logf("follower synced %d blocks, then followed to %d", target, later)

	// Every node holds the same blocks and state roots.
	all := append(nodes, follower)
	for _, h := range []uint64{1, 2, at, target, later} {
		want := nodes[0].block(t, h)
		for i, n := range all[1:] {
			got := n.block(t, h)
			if got["hash"] != want["hash"] || got["state_root"] != want["state_root"] {
				t.Fatalf("height %d: node %d has block %v root %v, node 0 %v root %v", h, i+1, got["hash"], got["state_root"], want["hash"], want["state_root"])
			}
		}
	}
	for _, n := range all {
		n.stop(t)
	}
}

// bigModule is a valid WebAssembly module of about size bytes: one memory
// and a data segment of incompressible bytes filling it — a large deploy
// that compiles quickly.
func bigModule(size int) []byte {
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	uleb := func(b []byte, v uint64) []byte {
		for {
			c := byte(v & 0x7f)
			v >>= 7
			if v != 0 {
				b = append(b, c|0x80)
				continue
			}
			return append(b, c)
		}
	}
	section := func(b []byte, id byte, content []byte) []byte {
		return append(uleb(append(b, id), uint64(len(content))), content...)
	}
	pages := uint64(size/65536 + 1)
	m := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	m = section(m, 5, uleb([]byte{1, 0}, pages))           // memory: min pages
	seg := uleb([]byte{1, 0, 0x41, 0, 0x0b}, uint64(size)) // one active segment at i32.const 0
	m = section(m, 11, append(seg, data...))               // data
	return m
}

// TestTestnetUnderLoss: four validator processes that each drop a fifth
// of what their peers send (gossip and requests alike) keep committing
// blocks while a 3 MB deploy travels to the proposers and into a block.
func TestTestnetUnderLoss(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	apiPort, p2pPort := freePortRange(t, 4), freePortRange(t, 4)
	r := runPlinth(t, bin, nil, "", "testnet", "--validators", "4", "--dir", dir,
		"--api-port", strconv.Itoa(apiPort), "--p2p-port", strconv.Itoa(p2pPort), "--block-time", "200ms")
	if r.code != 0 {
		t.Fatalf("testnet: exit %d\n%s", r.code, r.stderr)
	}
	var nodes []*devNode
	for i := range 4 {
		nodes = append(nodes, startProcessEnv(t, []string{"PLINTH_TEST_P2P_DROP_PERCENT=20"}, fmt.Sprintf("127.0.0.1:%d", apiPort+i),
			bin, "node", "run", "--home", filepath.Join(dir, fmt.Sprintf("node%d", i))))
	}
	for _, n := range nodes {
		n.waitHeight(t, 3)
		if !strings.Contains(n.output.String(), "fault injection: dropping p2p messages") {
			t.Fatalf("the node is not dropping messages:\n%s", n.output.String())
		}
	}
	h, err := home.Load(filepath.Join(dir, "node1"))
	if err != nil {
		t.Fatal(err)
	}
	code := bigModule(3 << 20)
	raw, err := tx.Sign(&tx.Tx{ChainID: "plinth-testnet", Nonce: 0, GasLimit: 60_000_000_000, GasPrice: canon.NewU256(1),
		Payload: tx.Payload{Body: tx.Deploy{Code: code}}}, h.Key)
	if err != nil {
		t.Fatal(err)
	}
	start := nodes[0].height(t)
	var out map[string]string
	if code := nodes[2].post(t, "/v1/txs", map[string]string{"tx": hex.EncodeToString(raw)}, &out); code != 202 {
		t.Fatalf("submit the deploy: %d %v", code, out)
	}
	rc := nodes[0].waitTx(t, out["tx_hash"])
	if rc["receipt"].(map[string]any)["code_name"] != "ok" {
		t.Fatalf("the 3 MB deploy: %v", rc)
	}
	in := uint64(rc["height"].(float64))
	// Blocks kept coming while it travelled, and keep coming after it.
	for _, n := range nodes {
		n.waitHeight(t, in+10)
	}
	t.Logf("deploy of %d bytes committed at height %d (submitted at %d); all nodes past %d", len(raw), in, start, in+10)
	for _, n := range nodes[1:] {
		if got, want := n.block(t, in), nodes[0].block(t, in); got["hash"] != want["hash"] || got["state_root"] != want["state_root"] {
			t.Fatalf("height %d: %v vs %v", in, got, want)
		}
	}
	for _, n := range nodes {
		n.stop(t)
	}
}
