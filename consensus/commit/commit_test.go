package commit

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/plinthchain/plinth/consensus/privval"
	"github.com/plinthchain/plinth/consensus/tendermint"
	"github.com/plinthchain/plinth/runtime"
)

// validators makes n validators with powers 1, 2, 3… and their signers.
func validators(t *testing.T, n int) ([]runtime.Validator, []*privval.FileSigner) {
	t.Helper()
	var vals []runtime.Validator
	var signers []*privval.FileSigner
	for i := range n {
		seed := make([]byte, 32)
		seed[0] = byte(i + 1)
		key := ed25519.NewKeyFromSeed(seed)
		s, err := privval.Open(key, filepath.Join(t.TempDir(), "last_signed"))
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, s)
		vals = append(vals, runtime.Validator{PublicKey: key.Public().(ed25519.PublicKey), Power: uint64(i + 1), Name: fmt.Sprintf("v%d", i)})
	}
	return vals, signers
}

func sign(t *testing.T, signers []*privval.FileSigner, idx []int, h uint64, r int64, block [32]byte) *Commit {
	t.Helper()
	c := &Commit{Height: h, Round: r, BlockHash: block[:]}
	for _, i := range idx {
		v := tendermint.Vote{Type: tendermint.Precommit, Height: h, Round: tendermint.Round(r), Value: (*tendermint.ValueID)(&block), Validator: i}
		sig, err := signers[i].SignVote("c", v)
		if err != nil {
			t.Fatal(err)
		}
		c.Signatures = append(c.Signatures, Signature{Validator: uint64(i), Signature: sig})
	}
	return c
}

func TestVerify(t *testing.T) {
	vals, signers := validators(t, 4) // powers 1, 2, 3, 4: total 10, a quorum needs 7
	block := [32]byte{9}
	good := sign(t, signers, []int{1, 2, 3}, 5, 2, block) // 9 of 10
	enc, err := good.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify("c", dec, vals, 5, block); err != nil {
		t.Fatal(err)
	}
	exactlyTwoThirds := sign(t, signers, []int{0, 1, 3}, 6, 0, block) // 7 of 10: more than two thirds
	if err := Verify("c", exactlyTwoThirds, vals, 6, block); err != nil {
		t.Fatalf("7 of 10: %v", err)
	}

	for name, c := range map[string]struct {
		commit *Commit
		height uint64
		block  [32]byte
		chain  string
	}{
		"too little power":  {sign(t, signers, []int{0, 1, 2}, 7, 0, block), 7, block, "c"}, // 6 of 10
		"another height":    {good, 6, block, "c"},
		"another block":     {good, 5, [32]byte{8}, "c"},
		"another chain":     {good, 5, block, "d"},
		"repeated signer":   {&Commit{Height: 5, Round: 2, BlockHash: block[:], Signatures: append(append([]Signature(nil), good.Signatures...), good.Signatures[2])}, 5, block, "c"},
		"unknown validator": {&Commit{Height: 5, Round: 2, BlockHash: block[:], Signatures: append(append([]Signature(nil), good.Signatures...), Signature{Validator: 9, Signature: make([]byte, 64)})}, 5, block, "c"},
		"bad signature": {func() *Commit {
			c := *good
			c.Signatures = append([]Signature(nil), good.Signatures...)
			bad := append([]byte(nil), c.Signatures[0].Signature...)
			bad[0] ^= 1
			c.Signatures[0] = Signature{Validator: c.Signatures[0].Validator, Signature: bad}
			return &c
		}(), 5, block, "c"},
		"another round's signatures": {&Commit{Height: 5, Round: 3, BlockHash: block[:], Signatures: good.Signatures}, 5, block, "c"},
	} {
		if err := Verify(c.chain, c.commit, vals, c.height, c.block); !errors.Is(err, ErrCommit) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Decode(append(enc, 0)); !errors.Is(err, ErrCommit) {
		t.Fatalf("trailing bytes: %v", err)
	}
}
