package main

import (
	"crypto/ed25519"

	"github.com/plinthchain/plinth/runtime/evidence"
	"github.com/plinthchain/plinth/testvectors"
)

// equivocation is validator name's two prevotes at (h, r) — for a value
// and for nil — as encoded evidence.
func (b *builder) equivocation(name string, h uint64, r int64) testvectors.Hex {
	key := b.key(name)
	value := make([]byte, 32)
	value[0], value[1], value[2] = byte(h), byte(r), 0xee
	x, err := evidence.SignVote(key, chainID, evidence.Vote{Type: evidence.Prevote, Height: h, Round: r, Value: value})
	if err != nil {
		panic(err)
	}
	y, err := evidence.SignVote(key, chainID, evidence.Vote{Type: evidence.Prevote, Height: h, Round: r})
	if err != nil {
		panic(err)
	}
	e, err := evidence.New(key.Public().(ed25519.PublicKey), x, y)
	if err != nil {
		panic(err)
	}
	raw, err := e.Encode()
	if err != nil {
		panic(err)
	}
	return raw
}

func init() {
	register("evidence",
		scenario{name: "removes-validator", build: func(b *builder) {
			b.v.Description = "Block 1 carries validator v1's equivocation at height 1: the block's header still names the four-validator set, " +
				"the next header names the set without v1, and the offence is recorded (under x ‖ key ‖ height) in the state root. " +
				"Block 3 punishes v2 for an equivocation of height 2, round 1; block 4, empty, names the set of v0 and v3."
			b.validators = []string{"v0", "v1", "v2", "v3"}
			b.evidenceBlock(b.equivocation("v1", 1, 0))
			b.block()
			b.evidenceBlock(b.equivocation("v2", 2, 1))
			b.evidenceBlock()
		}},
		scenario{name: "refusals", build: func(b *builder) {
			b.v.Description = "Evidence that makes its block invalid (reason \"evidence\", tx = the piece's index): a bad signature, " +
				"a height after the block's, older than MaxEvidenceAge (2 here), a key outside the validator set, one offender " +
				"twice for one height, more than MaxBlockEvidence (2 here), and an offender punished already. Refused blocks change nothing."
			b.validators = []string{"v0", "v1", "v2", "v3"}
			b.params = map[string]any{"Consensus": map[string]any{"MaxEvidenceAge": 2, "MaxBlockEvidence": 2}}
			bad := b.equivocation("v1", 1, 0)
			bad[len(bad)-1] ^= 1
			i := b.evidenceBlock(bad)
			b.wantInvalid(i, 0, "evidence")
			i = b.evidenceBlock(b.equivocation("v1", 1, 0), b.equivocation("v2", 5, 0))
			b.wantInvalid(i, 1, "evidence")
			i = b.evidenceBlock(b.equivocation("outsider", 1, 0))
			b.wantInvalid(i, 0, "evidence")
			i = b.evidenceBlock(b.equivocation("v1", 1, 0), b.equivocation("v1", 1, 1))
			b.wantInvalid(i, 1, "evidence")
			i = b.evidenceBlock(b.equivocation("v1", 1, 0), b.equivocation("v2", 1, 0), b.equivocation("v3", 1, 0))
			b.wantInvalid(i, 2, "evidence")
			b.evidenceBlock(b.equivocation("v1", 1, 0)) // valid: block 1 of the chain
			i = b.evidenceBlock(b.equivocation("v3", 1, 0), b.equivocation("v1", 1, 1))
			b.wantInvalid(i, 1, "evidence") // v1 is out of the set now
			b.block()
			b.block()
			i = b.evidenceBlock(b.equivocation("v2", 1, 0)) // block 4: 4 − 1 > 2
			b.wantInvalid(i, 0, "evidence")
		}},
	)
}
