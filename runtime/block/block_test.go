package block

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/runtime/tx"
)

// referenceRoot is RFC 6962's recursive definition (split at the largest
// power of two below n), against which the level-by-level TxsRoot is
// checked.
func referenceRoot(leaves [][32]byte) [32]byte {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0][:]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := referenceRoot(leaves[:k]), referenceRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func TestTxsRootMatchesRFC6962(t *testing.T) {
	for n := 0; n <= 33; n++ {
		txs := make([][]byte, n)
		ids := make([][32]byte, n)
		for i := range txs {
			txs[i] = []byte{byte(i), byte(n)}
			ids[i] = tx.Hash(txs[i])
		}
		if got, want := TxsRoot(txs), referenceRoot(ids); got != want {
			t.Fatalf("%d transactions: root %x, RFC 6962 gives %x", n, got[:8], want[:8])
		}
	}
}

func TestEncodeAndHash(t *testing.T) {
	b := &Block{Header: Header{Version: 1, ChainID: "c", Height: 3, Time: 1000}, Txs: [][]byte{{1}, {2}}}
	raw, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(raw, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := b.Header.Hash()
	h2, _ := got.Header.Hash()
	if h1 != h2 || len(got.Txs) != 2 {
		t.Fatal("decoded block differs")
	}
	got.Header.Time++
	if h3, _ := got.Header.Hash(); h3 == h1 {
		t.Fatal("time is not in the hash")
	}
	if _, err := Decode(append(raw, 0), 1<<20); err == nil {
		t.Fatal("trailing byte accepted")
	}
	if _, err := Decode(raw, 10); err == nil {
		t.Fatal("oversized block accepted")
	}
}

func TestCheckChild(t *testing.T) {
	parent := &Header{Version: 1, ChainID: "c", Height: 4, Time: 1000}
	ph, _ := parent.Hash()
	good := func() *Block {
		b := &Block{Header: Header{Version: 1, ChainID: "c", Height: 5, Time: 1001, ParentHash: ph}, Txs: [][]byte{{7}}}
		b.Header.TxsRoot = TxsRoot(b.Txs)
		return b
	}
	if err := CheckChild(parent, ph, good()); err != nil {
		t.Fatal(err)
	}
	withCommit := good()
	withCommit.LastCommit = []byte("a commit")
	withCommit.Header.LastCommitHash = LastCommitHash(withCommit.LastCommit)
	if err := CheckChild(parent, ph, withCommit); err != nil || withCommit.Header.LastCommitHash == ([32]byte{}) {
		t.Fatalf("a block naming its last commit: %v", err)
	}
	for name, c := range map[string]struct {
		mod  func(*Block)
		want string
	}{
		"version":          {func(b *Block) { b.Header.Version = 2 }, "version"},
		"chain":            {func(b *Block) { b.Header.ChainID = "d" }, "chain"},
		"height":           {func(b *Block) { b.Header.Height = 7 }, "height"},
		"same time":        {func(b *Block) { b.Header.Time = 1000 }, "time"},
		"parent":           {func(b *Block) { b.Header.ParentHash[0] ^= 1 }, "parent hash"},
		"extra tx":         {func(b *Block) { b.Txs = append(b.Txs, []byte{8}) }, "transactions root"},
		"reordered":        {func(b *Block) { b.Txs = [][]byte{{8}, {7}}; b.Header.TxsRoot = TxsRoot([][]byte{{7}, {8}}) }, "transactions root"},
		"commit not named": {func(b *Block) { b.LastCommit = []byte{1} }, "last commit hash"},
		"other commit": {func(b *Block) {
			b.LastCommit = []byte{1}
			b.Header.LastCommitHash = LastCommitHash([]byte{2})
		}, "last commit hash"},
		"commit named, absent": {func(b *Block) { b.Header.LastCommitHash = LastCommitHash([]byte{1}) }, "last commit hash"},
	} {
		b := good()
		c.mod(b)
		err := CheckChild(parent, ph, b)
		if !errors.Is(err, ErrHeader) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	b := &Block{Header: Header{Version: 1, ChainID: "c", Height: 3, Time: 1000}, Txs: [][]byte{{1}, {2}}, LastCommit: []byte{9}}
	raw, err := b.Encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := Decode(raw, 1<<20)
		if err != nil {
			return
		}
		again, err := b.Encode()
		if err != nil || string(again) != string(raw) {
			t.Fatalf("accepted %x, which encodes back as %x (%v)", raw, again, err)
		}
		_ = TxsRoot(b.Txs)
	})
}

// TestMaxTxsMatchesTheDecoder: a block of MaxTxs transactions decodes, one
// more does not — so the runtime's ceiling and the decoder's agree.
func TestMaxTxsMatchesTheDecoder(t *testing.T) {
	b := &Block{Header: Header{Version: 1}, Txs: make([][]byte, MaxTxs)}
	for i := range b.Txs {
		b.Txs[i] = []byte{}
	}
	raw, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(raw, len(raw)); err != nil {
		t.Fatalf("%d transactions: %v", MaxTxs, err)
	}
	b.Txs = append(b.Txs, []byte{})
	raw, _ = b.Encode()
	if _, err := Decode(raw, len(raw)); err == nil {
		t.Fatalf("%d transactions decoded", MaxTxs+1)
	}
}
