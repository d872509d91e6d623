package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// equivocate is key's two prevotes for different values at (h, r),
// encoded as evidence.
func equivocate(t *testing.T, key ed25519.PrivateKey, h uint64, r int64) []byte {
	t.Helper()
	v := make([]byte, 32)
	v[0], v[1], v[2] = byte(h), byte(r), 1
	a, err := evidence.SignVote(key, chainID, evidence.Vote{Type: evidence.Prevote, Height: h, Round: r, Value: v})
	if err != nil {
		t.Fatal(err)
	}
	b, err := evidence.SignVote(key, chainID, evidence.Vote{Type: evidence.Prevote, Height: h, Round: r})
	if err != nil {
		t.Fatal(err)
	}
	e, err := evidence.New(key.Public().(ed25519.PublicKey), a, b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestEvidence: a block carrying a validator's equivocation removes it
// from the set in force from the next height, records the offence, and
// any node replaying the block agrees. Evidence that is invalid — badly
// signed, of the future or older than MaxEvidenceAge, against a key not
// in the set, punished before, twice in one block, more than
// MaxBlockEvidence — makes the block invalid, and changes nothing.
// Governance can put the validator back; its old offence stays punished,
// a new one removes it again.
func TestEvidence(t *testing.T) {
	ctx := context.Background()
	net := newNet(t, 1)
	gov := address.Contract(net.addrs[0], 0)
	net.genesis.Governance = gov
	vkeys := []ed25519.PrivateKey{key(70000), key(70001), key(70002), key(70003)}
	net.genesis.Validators = nil
	for i, k := range vkeys {
		net.genesis.Validators = append(net.genesis.Validators, runtime.Validator{PublicKey: k.Public().(ed25519.PublicKey), Power: 1, Name: string(rune('a' + i))})
	}
	net.genesis.Params.Consensus.MaxEvidenceAge = 4
	net.genesis.Params.Consensus.MaxBlockEvidence = 2
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	bs := newBlocks(t, c, net)
	code, err := vmtest.Wat(govWat)
	if err != nil {
		t.Fatal(err)
	}
	if rs := bs.send(0, tx.Deploy{Code: code}, tx.Instantiate{CodeHash: sha256.Sum256(code)}); rs[1].Code != runtime.CodeOK { // block 1
		t.Fatalf("governance: %v %s", rs[1].Code, rs[1].Message)
	}

	// build makes the next block with evidence, committing it if valid.
	build := func(ev ...[]byte) error {
		t.Helper()
		bs.time += 1000
		p, err := c.Build(ctx, Draft{Time: bs.time, Proposer: net.proposer, Evidence: ev})
		if err != nil {
			bs.time -= 1000
			return err
		}
		bs.made = append(bs.made, p.Block)
		return c.CommitPending(p, nil)
	}
	inSet := func(h uint64, k ed25519.PrivateKey) bool {
		t.Helper()
		vs, err := c.Validators(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if bytes.Equal(v.PublicKey, k.Public().(ed25519.PublicKey)) {
				return true
			}
		}
		return false
	}

	// refused builds a block with ev and expects it refused for why.
	refused := func(why string, ev ...[]byte) {
		t.Helper()
		root := s.RootHash()
		head, _ := c.Head()
		err := build(ev...)
		if !errors.Is(err, runtime.ErrInvalidBlock) || !strings.Contains(err.Error(), why) {
			t.Fatalf("%v, want an invalid block: %s", err, why)
		}
		if h, _ := c.Head(); h.Height != head.Height || s.RootHash() != root {
			t.Fatalf("%s: the refused block changed the chain", why)
		}
	}
	tampered := equivocate(t, vkeys[1], 1, 0)
	tampered[len(tampered)-1] ^= 1
	refused("does not verify", tampered)
	refused("from the future", equivocate(t, vkeys[1], 9, 0))
	refused("not a validator", equivocate(t, key(70009), 1, 0))
	refused("twice in the block", equivocate(t, vkeys[1], 1, 0), equivocate(t, vkeys[1], 1, 1))
	refused("3 pieces of evidence, limit 2", equivocate(t, vkeys[1], 1, 0), equivocate(t, vkeys[2], 1, 0), equivocate(t, vkeys[3], 1, 0))
	if _, err := c.CheckEvidence(tampered); err == nil {
		t.Fatal("CheckEvidence passed a bad signature")
	}

	// Block 2 punishes validator 1 for height 1: it is out from block 3.
	ev := equivocate(t, vkeys[1], 1, 0)
	if _, err := c.CheckEvidence(ev); err != nil {
		t.Fatalf("CheckEvidence: %v", err)
	}
	if err := build(ev); err != nil {
		t.Fatal(err)
	}
	if !inSet(2, vkeys[1]) || inSet(3, vkeys[1]) {
		t.Fatal("the offender is not out of the set from the next height")
	}
	if vs, _ := c.Validators(3); len(vs) != 3 {
		t.Fatalf("%d validators at height 3, want 3", len(vs))
	}
	head, _ := c.Head()
	if want, _ := runtime.ValidatorsHash(mustValidators(t, c, 3)); head.ValidatorsHash == want {
		t.Fatal("block 2's header already names the smaller set")
	}
	if rec, ok, _ := s.Get(runtime.EvidenceKey(vkeys[1].Public().(ed25519.PublicKey), 1)); !ok || len(rec) != 32 {
		t.Fatal("the offence is not recorded")
	}
	refused("not a validator", equivocate(t, vkeys[1], 1, 1)) // out of the set now

	// Governance puts it back (block 3); its old offence stays punished.
	vb, _ := canon.Marshal(net.genesis.Validators)
	if rs := bs.send(0, tx.Call{Contract: gov, Method: "vals", Input: vb}); rs[0].Code != runtime.CodeOK {
		t.Fatalf("vals: %v %s", rs[0].Code, rs[0].Message)
	}
	if !inSet(4, vkeys[1]) {
		t.Fatal("governance did not re-admit the validator")
	}
	refused("already punished for height 1", equivocate(t, vkeys[1], 1, 0))
	if err := build(); err != nil { // block 4
		t.Fatal(err)
	}
	if err := build(); err != nil { // block 5
		t.Fatal(err)
	}
	if err := build(); err != nil { // block 6
		t.Fatal(err)
	}
	refused("older than 4 heights", equivocate(t, vkeys[2], 1, 0))                              // at block 7: 7 − 1 > 4
	if err := build(equivocate(t, vkeys[1], 3, 2), equivocate(t, vkeys[2], 6, 0)); err != nil { // block 7: two offenders
		t.Fatal(err)
	}
	if inSet(8, vkeys[1]) || inSet(8, vkeys[2]) || !inSet(8, vkeys[0]) || !inSet(8, vkeys[3]) {
		t.Fatal("block 7's offenders are not both out")
	}

	// A validator replaying the blocks agrees.
	v, vstore := openChain(t, t.TempDir(), net.genesis)
	defer vstore.Close()
	for i, b := range bs.made {
		if _, err := v.Apply(ctx, b); err != nil {
			t.Fatalf("replay block %d: %v", i+1, err)
		}
	}
	if vstore.RootHash() != s.RootHash() {
		t.Fatal("replay disagrees")
	}
}

// TestEvidenceKeepsOneValidator: the last validator of a set is never
// removed (a chain with no validators could not go on); its offence is
// still recorded.
func TestEvidenceKeepsOneValidator(t *testing.T) {
	ctx := context.Background()
	net := newNet(t, 1)
	k := key(70000)
	net.genesis.Validators = []runtime.Validator{{PublicKey: k.Public().(ed25519.PublicKey), Power: 1, Name: "only"}}
	c, s := openChain(t, t.TempDir(), net.genesis)
	defer s.Close()
	p, err := c.Build(ctx, Draft{Time: net.genesis.Time + 1000, Proposer: net.proposer, Evidence: [][]byte{equivocate(t, k, 1, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CommitPending(p, nil); err != nil {
		t.Fatal(err)
	}
	if vs := mustValidators(t, c, 2); len(vs) != 1 {
		t.Fatalf("%d validators, want the last one kept", len(vs))
	}
	if _, ok, _ := s.Get(runtime.EvidenceKey(k.Public().(ed25519.PublicKey), 1)); !ok {
		t.Fatal("the offence is not recorded")
	}
}

func mustValidators(t *testing.T, c *Chain, h uint64) []runtime.Validator {
	t.Helper()
	vs, err := c.Validators(h)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}
