package device

import (
	"bytes"
	"crypto/elliptic"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"

	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/state"
)

const now = uint64(1_800_000_000_000) // block time, ms

func testParams() *params.Params {
	p := params.Version1()
	return &p
}

func reading(dev ID, seq uint64, kind string) *Attestation {
	return &Attestation{ChainID: chainID, Device: dev, Seq: seq, Time: now, Kind: kind, Payload: []byte{byte(seq), 0x42}}
}

func sign(t testing.TB, a *Attestation, k sigs.PrivateKey) []byte {
	t.Helper()
	raw, err := Sign(a, k)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func submit(t *testing.T, ws *state.WriteSet, p *params.Params, raw []byte) [32]byte {
	t.Helper()
	id, _, err := Submit(ws, p, chainID, now, raw)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// reencode decodes raw, lets f change it, and encodes it again without
// re-signing.
func reencode(t *testing.T, raw []byte, f func(*Attestation)) []byte {
	t.Helper()
	var a Attestation
	if err := canon.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	f(&a)
	b, err := canon.Marshal(&a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// twin returns sig with s replaced by n - s.
func twin(sig []byte, n *big.Int) []byte {
	out := bytes.Clone(sig)
	s := new(big.Int).SetBytes(sig[32:])
	new(big.Int).Sub(n, s).FillBytes(out[32:])
	return out
}

// TestSubmitAccepts: a good attestation of each key type is accepted and
// stored; Check agrees without writing; the id covers the signed bytes.
func TestSubmitAccepts(t *testing.T) {
	ws := newWS(t)
	p := testParams()
	for _, typ := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
		k := key(t, typ, 10)
		dev := register(t, ws, alice, k)
		for j, tm := range []uint64{now, now - p.AttestationFreshness, now + p.AttestationFreshness} {
			a := reading(dev, uint64(j), "power")
			a.Time = tm
			raw := sign(t, a, k)

			before := changes(ws)
			ca, cid, err := Check(ws, p, chainID, now, raw)
			if err != nil {
				t.Fatalf("%s at %d: Check: %v", typ, tm, err)
			}
			if changes(ws) != before {
				t.Fatalf("%s: Check wrote", typ)
			}
			id, got, err := Submit(ws, p, chainID, now, raw)
			if err != nil {
				t.Fatalf("%s at %d: %v", typ, tm, err)
			}
			want, _ := a.ID()
			if id != want || cid != want || ca.Seq != a.Seq || got.Seq != a.Seq || !bytes.Equal(got.Signature, a.Signature) {
				t.Fatalf("%s: id %x, want %x", typ, id[:4], want[:4])
			}
			stored, ok, err := AttestationByID(ws, id)
			if err != nil || !ok {
				t.Fatalf("%s: AttestationByID: %v %v", typ, ok, err)
			}
			if again, _ := canon.Marshal(stored); !bytes.Equal(again, raw) {
				t.Fatalf("%s: stored attestation differs from the submitted bytes", typ)
			}
		}
	}
}

// TestSubmitRefusals: every way an attestation is refused gets its own
// error and writes nothing. Cases failing several checks get the first
// in Check's order.
func TestSubmitRefusals(t *testing.T) {
	ws := newWS(t)
	p := testParams()
	edKey, p256Key, k1Key := key(t, sigs.Ed25519, 1), key(t, sigs.P256, 1), key(t, sigs.Secp256k1, 1)
	ed, p256, k1 := register(t, ws, alice, edKey), register(t, ws, alice, p256Key), register(t, ws, alice, k1Key)
	revKey := key(t, sigs.Ed25519, 2)
	rev := register(t, ws, alice, revKey)
	if _, err := Revoke(ws, alice, rev); err != nil {
		t.Fatal(err)
	}
	unknownKey := key(t, sigs.Ed25519, 3)
	unknown := NewID(sigs.Ed25519, unknownKey.Public().Bytes())

	// The window of ed: 5000 accepted, so it tracks [3977, 5001).
	submit(t, ws, p, sign(t, reading(ed, 5000, "power"), edKey))
	submit(t, ws, p, sign(t, reading(ed, 4500, "power"), edKey))

	mk := func(k sigs.PrivateKey, dev ID, f func(*Attestation)) []byte {
		a := reading(dev, 4800, "power")
		if f != nil {
			f(a)
		}
		return sign(t, a, k)
	}
	stale := func(a *Attestation) { a.Time = now - p.AttestationFreshness - 1 }
	good := mk(edKey, ed, nil)
	p256Good, k1Good := mk(p256Key, p256, nil), mk(k1Key, k1, nil)

	type loose struct {
		_                  struct{} `cbor:",toarray"`
		ChainID            string
		Device             []byte
		Seq, Time          uint64
		Kind               string
		Payload, Signature []byte
	}
	shortDevice, _ := canon.Marshal(loose{ChainID: chainID, Device: ed[:19], Seq: 1, Time: now, Signature: make([]byte, 64)})

	cases := []struct {
		name string
		raw  []byte
		want []error
	}{
		{"oversized", mk(edKey, ed, func(a *Attestation) { a.Payload = make([]byte, p.MaxAttestationBytes) }), []error{ErrTooLarge}},
		{"oversized, unknown device", mk(unknownKey, unknown, func(a *Attestation) { a.Payload = make([]byte, p.MaxAttestationBytes) }), []error{ErrTooLarge}},
		{"kind too long", mk(edKey, ed, func(a *Attestation) { a.Kind = string(bytes.Repeat([]byte("k"), int(v1Params.DeviceKindBytes)+1)) }), []error{ErrTooLarge}},
		{"trailing byte", append(bytes.Clone(good), 0), []error{canon.ErrEncoding}},
		{"device id of 19 bytes", shortDevice, []error{canon.ErrEncoding}},
		{"empty", nil, []error{canon.ErrEncoding}},
		{"unknown device", mk(unknownKey, unknown, nil), []error{ErrUnknownDevice}},
		{"revoked", mk(revKey, rev, nil), []error{ErrRevoked}},
		{"revoked and stale", mk(revKey, rev, stale), []error{ErrRevoked}},
		{"another chain", mk(edKey, ed, func(a *Attestation) { a.ChainID = "plinth-main" }), []error{ErrChainID}},
		{"another chain, unsigned", reencode(t, good, func(a *Attestation) { a.ChainID = "plinth-main" }), []error{ErrChainID}},
		{"payload changed after signing", reencode(t, good, func(a *Attestation) { a.Payload[0] ^= 1 }), []error{ErrBadSignature, sigs.ErrSignature}},
		{"seq changed after signing", reencode(t, good, func(a *Attestation) { a.Seq++ }), []error{ErrBadSignature, sigs.ErrSignature}},
		{"signed by a key of another type", mk(p256Key, ed, nil), []error{ErrBadSignature}},
		{"signed by another ed25519 key", mk(revKey, ed, nil), []error{ErrBadSignature, sigs.ErrSignature}},
		{"short signature", reencode(t, good, func(a *Attestation) { a.Signature = a.Signature[:63] }), []error{ErrBadSignature, sigs.ErrSignatureFormat}},
		{"no signature", reencode(t, good, func(a *Attestation) { a.Signature = nil }), []error{ErrBadSignature, sigs.ErrSignatureFormat}},
		{"p256 high S", reencode(t, p256Good, func(a *Attestation) { a.Signature = twin(a.Signature, elliptic.P256().Params().N) }), []error{ErrBadSignature, sigs.ErrHighS}},
		{"secp256k1 high S", reencode(t, k1Good, func(a *Attestation) { a.Signature = twin(a.Signature, secp256k1.Params().N) }), []error{ErrBadSignature, sigs.ErrHighS}},
		{"bad signature and stale", reencode(t, mk(edKey, ed, stale), func(a *Attestation) { a.Signature[0] ^= 1 }), []error{ErrBadSignature}},
		{"stale", mk(edKey, ed, stale), []error{ErrStale}},
		{"future", mk(edKey, ed, func(a *Attestation) { a.Time = now + p.AttestationFreshness + 1 }), []error{ErrFuture}},
		{"time zero", mk(edKey, ed, func(a *Attestation) { a.Time = 0 }), []error{ErrStale}},
		{"time max", mk(edKey, ed, func(a *Attestation) { a.Time = math.MaxUint64 }), []error{ErrFuture}},
		{"stale replay", mk(edKey, ed, func(a *Attestation) { a.Seq = 5000; stale(a) }), []error{ErrStale}},
		{"replay", sign(t, reading(ed, 5000, "power"), edKey), []error{ErrReplay}},
		{"replay, other bytes", mk(edKey, ed, func(a *Attestation) { a.Seq = 4500; a.Kind = "temp"; a.Time = now - 1 }), []error{ErrReplay}},
		{"seq below the window", mk(edKey, ed, func(a *Attestation) { a.Seq = 3976 }), []error{ErrSeqTooOld}},
		{"seq zero", mk(edKey, ed, func(a *Attestation) { a.Seq = 0 }), []error{ErrSeqTooOld}},
	}
	sentinels := []error{ErrTooLarge, canon.ErrEncoding, ErrUnknownDevice, ErrRevoked, ErrChainID, ErrBadSignature, ErrStale, ErrFuture, ErrReplay, ErrSeqTooOld}
	for _, c := range cases {
		before := changes(ws)
		_, _, cerr := Check(ws, p, chainID, now, c.raw)
		_, _, err := Submit(ws, p, chainID, now, c.raw)
		for _, want := range c.want {
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", c.name, err, want)
			}
			if !errors.Is(cerr, want) {
				t.Errorf("%s: Check: %v, want %v", c.name, cerr, want)
			}
		}
		// Exactly one of the device sentinels: each refusal is distinct.
		n := 0
		for _, s := range sentinels {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %v matches %d sentinels", c.name, err, n)
		}
		if changes(ws) != before {
			t.Errorf("%s: refused, but wrote", c.name)
		}
	}
	// After all that, the good one (seq 4800, inside the window) goes in.
	if _, _, err := Submit(ws, p, chainID, now, good); err != nil {
		t.Fatalf("the good attestation: %v", err)
	}
}

// TestWindowSequence: readings out of order are accepted, replays never,
// through Submit, as docs/devices.md's example tells it (W = 1024).
func TestWindowSequence(t *testing.T) {
	ws := newWS(t)
	p := testParams()
	k := key(t, sigs.Secp256k1, 4)
	dev := register(t, ws, bob, k)
	steps := []struct {
		seq  uint64
		want error
	}{
		{10, nil}, {5, nil}, {7, nil}, {5, ErrReplay}, {10, ErrReplay}, {0, nil},
		{1033, nil}, // 1033 >= 0 + 1024: the window slides to [10, 1034)
		{9, ErrSeqTooOld}, {10, ErrReplay}, {11, nil}, {1033, ErrReplay},
		{5000, nil}, // slides to [3977, 5001): all of the above fall out
		{11, ErrSeqTooOld}, {1033, ErrSeqTooOld}, {3976, ErrSeqTooOld},
		{3977, nil}, {4999, nil}, {5000, ErrReplay}, {4999, ErrReplay}, {3977, ErrReplay},
		{math.MaxUint64, nil}, {math.MaxUint64, ErrReplay}, {math.MaxUint64 - 1023, nil},
		{math.MaxUint64 - 1024, ErrSeqTooOld}, {5001, ErrSeqTooOld},
	}
	for i, s := range steps {
		// A new time each step: a replay is refused even when its bytes,
		// and so its id, are new.
		a := reading(dev, s.seq, "power")
		a.Time = now - uint64(i)
		_, _, err := Submit(ws, p, chainID, now, sign(t, a, k))
		if !errors.Is(err, s.want) || (s.want == nil) != (err == nil) {
			t.Fatalf("step %d, seq %d: %v, want %v", i, s.seq, err, s.want)
		}
	}
}

// model is the anti-replay rule written as plainly as possible: a set of
// accepted numbers and the bottom of the window.
type model struct {
	low  uint64
	seen map[uint64]bool
}

func (m *model) check(seq uint64) error {
	if seq < m.low {
		return ErrSeqTooOld
	}
	if m.seen[seq] {
		return ErrReplay
	}
	return nil
}

func (m *model) accept(seq uint64, w uint32) {
	m.seen[seq] = true
	if seq-m.low >= uint64(w) {
		m.low = seq - uint64(w) + 1
	}
}

func (m *model) resize(w uint32) {
	var top uint64
	any := false
	for s := range m.seen {
		if s >= m.low && (!any || s > top) {
			top, any = s, true
		}
	}
	if any && top-m.low >= uint64(w) {
		m.low = top - uint64(w) + 1
	}
}

// TestWindowModel: the bitmap window agrees with the model on random
// sequences, with window widths that cross byte boundaries and change
// along the way, through an encode and decode each step.
func TestWindowModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 200 {
		w := uint32(1 + rng.IntN(70))
		win, m := window{}, &model{seen: map[uint64]bool{}}
		win.fit(w)
		for step := range 300 {
			if rng.IntN(40) == 0 {
				w = uint32(1 + rng.IntN(70))
				win.fit(w)
				m.resize(w)
			}
			var seq uint64
			switch r := rng.IntN(10); {
			case r == 0:
				seq = m.low + uint64(rng.IntN(5*int(w))) // may slide far
			case r == 1 && m.low > 0:
				seq = m.low - 1 - uint64(rng.IntN(int(min(m.low, 10))))
			default:
				seq = m.low + uint64(rng.IntN(int(w)+3))
			}
			got, want := win.check(seq, w), m.check(seq)
			if !errors.Is(got, want) || (want == nil) != (got == nil) {
				t.Fatalf("run %d step %d: w %d low %d seq %d: %v, model %v", run, step, w, m.low, seq, got, want)
			}
			if got == nil {
				win.accept(seq, w)
				m.accept(seq, w)
			}
			if win.Low != m.low {
				t.Fatalf("run %d step %d: low %d, model %d", run, step, win.Low, m.low)
			}
			b, err := canon.Marshal(&win)
			if err != nil {
				t.Fatal(err)
			}
			var back window
			if err := canon.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			back.fit(w)
			if back.Low != win.Low || !bytes.Equal(back.Seen, win.Seen) {
				t.Fatalf("run %d step %d: window changed through encoding", run, step)
			}
			win = back
		}
	}
}

// TestWindowNarrowed: a parameter change that narrows the window slides
// it up to the highest accepted number; one that widens it keeps every
// accepted number refused.
func TestWindowNarrowed(t *testing.T) {
	ws := newWS(t)
	p := testParams()
	k := key(t, sigs.Ed25519, 5)
	dev := register(t, ws, bob, k)
	for _, seq := range []uint64{100, 90, 50} {
		submit(t, ws, p, sign(t, reading(dev, seq, "power"), k))
	}
	p.AttestationWindow = 16 // now [85, 101)
	try := func(seq uint64, want error) {
		t.Helper()
		a := reading(dev, seq, "power")
		a.Time = now - 7
		if _, _, err := Submit(ws, p, chainID, now, sign(t, a, k)); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Fatalf("seq %d with window %d: %v, want %v", seq, p.AttestationWindow, err, want)
		}
	}
	try(84, ErrSeqTooOld)
	try(90, ErrReplay)
	try(85, nil)
	p.AttestationWindow = 1024
	try(90, ErrReplay)
	try(100, ErrReplay)
	try(84, ErrSeqTooOld) // what the narrow window forgot stays forgotten
	try(1000, nil)
	p.AttestationWindow = 0
	if _, _, err := Submit(ws, p, chainID, now, sign(t, reading(dev, 1001, "power"), k)); err == nil {
		t.Fatal("window 0 accepted")
	}
	p.AttestationWindow = maxWindow + 1
	if _, _, err := Submit(ws, p, chainID, now, sign(t, reading(dev, 1001, "power"), k)); err == nil {
		t.Fatal("a window over maxWindow accepted")
	}
}

// checkIndexes checks the storage invariant of dev: the stored records
// are exactly those the history or a latest entry refers to, and the
// window counts the history.
func checkIndexes(t *testing.T, ws *state.WriteSet, p *params.Params, dev ID) (history []uint64) {
	t.Helper()
	keys := func(prefix []byte) map[string][]byte {
		it, err := ws.Iterate(prefix, state.IterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		out := map[string][]byte{}
		for it.Next() {
			out[string(it.Key()[len(prefix):])] = bytes.Clone(it.Value())
		}
		if it.Err() != nil {
			t.Fatal(it.Err())
		}
		return out
	}
	referred := map[[32]byte]bool{}
	for k, v := range keys(historyPrefix(dev)) {
		var ref historyRef
		if err := canon.Unmarshal(v, &ref); err != nil {
			t.Fatal(err)
		}
		referred[ref.ID] = true
		seq := uint64(0)
		for _, c := range []byte(k) {
			seq = seq<<8 | uint64(c)
		}
		history = append(history, seq)
	}
	for _, v := range keys(append([]byte{prefixAttest, subLatest}, dev[:]...)) {
		var ref latestRef
		if err := canon.Unmarshal(v, &ref); err != nil {
			t.Fatal(err)
		}
		referred[ref.ID] = true
	}
	records := keys([]byte{prefixAttest, subRecord})
	for id := range referred {
		if _, ok := records[string(id[:])]; !ok {
			t.Fatalf("record %x referred to but not stored", id[:4])
		}
	}
	if len(records) != len(referred) {
		t.Fatalf("%d records stored, %d referred to", len(records), len(referred))
	}
	win, err := loadWindow(ws, dev, p.AttestationWindow)
	if err != nil {
		t.Fatal(err)
	}
	if int(win.History) != len(history) || len(history) > historyV1 {
		t.Fatalf("window counts %d history entries, %d stored", win.History, len(history))
	}
	sort.Slice(history, func(i, j int) bool { return history[i] < history[j] })
	return history
}

// TestHistoryAndLatest: the history keeps the historyV1 highest
// sequence numbers, the latest per kind is the highest seq of that kind
// whatever the arrival order, and records live exactly as long as
// something refers to them.
func TestHistoryAndLatest(t *testing.T) {
	ws := newWS(t)
	p := testParams()
	k := key(t, sigs.Ed25519, 6)
	dev := register(t, ws, alice, k)
	kindOf := func(seq uint64) string {
		if seq == 1000 {
			return "rare"
		}
		return []string{"power", "temp"}[seq%2]
	}
	ids := map[uint64][32]byte{}
	const first, n = 1000, historyV1 + 44
	if v1Params.AttestationHistory != historyV1 {
		t.Fatalf("the history keeps %d, this test assumes %d", v1Params.AttestationHistory, historyV1)
	}
	for seq := uint64(first); seq < first+n; seq++ {
		ids[seq] = submit(t, ws, p, sign(t, reading(dev, seq, kindOf(seq)), k))
		checkIndexes(t, ws, p, dev)
	}
	hist := checkIndexes(t, ws, p, dev)
	if len(hist) != historyV1 || hist[0] != first+n-historyV1 || hist[len(hist)-1] != first+n-1 {
		t.Fatalf("history holds %d entries, %d..%d", len(hist), hist[0], hist[len(hist)-1])
	}
	// Dropped from the history: gone, unless still the latest of a kind.
	if _, ok, _ := AttestationByID(ws, ids[first+1]); ok {
		t.Fatal("a dropped attestation is still stored")
	}
	if a, ok, err := Latest(ws, dev, "rare"); err != nil || !ok || a.Seq != first {
		t.Fatalf("latest rare: %v %v %+v", ok, err, a)
	}
	if _, ok, _ := AttestationByID(ws, ids[first]); !ok {
		t.Fatal("the latest of a kind was dropped with the history")
	}
	for kind, want := range map[string]uint64{"power": first + n - 2, "temp": first + n - 1} {
		if first+n-1 != 1299 || kindOf(want) != kind {
			t.Fatalf("test arithmetic: %d is %s", want, kindOf(want))
		}
		a, ok, err := Latest(ws, dev, kind)
		if err != nil || !ok || a.Seq != want {
			t.Fatalf("latest %s: %v %v %+v, want seq %d", kind, ok, err, a, want)
		}
	}
	if _, ok, err := Latest(ws, dev, "none"); ok || err != nil {
		t.Fatalf("latest of a kind never seen: %v %v", ok, err)
	}

	// History ranges, ascending.
	got, err := History(ws, dev, 1100, 1110, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 11 || got[0].Seq != 1100 || got[10].Seq != 1110 {
		t.Fatalf("History(1100, 1110): %d entries", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq {
			t.Fatal("History not ascending")
		}
	}
	if got, _ := History(ws, dev, 0, math.MaxUint64, 3); len(got) != 3 || got[0].Seq != hist[0] {
		t.Fatalf("History limited to 3: %d entries", len(got))
	}
	if got, _ := History(ws, dev, 0, 10, 0); len(got) != 0 {
		t.Fatalf("History below everything: %d entries", len(got))
	}
	if got, _ := History(ws, NewID(sigs.Ed25519, []byte{9}), 0, math.MaxUint64, 0); len(got) != 0 {
		t.Fatal("History of an unknown device is not empty")
	}

	// A late reading below everything the history keeps: accepted (its
	// seq is in the window), not stored, and still a replay afterwards.
	late := reading(dev, first-100, "power")
	lateID := submit(t, ws, p, sign(t, late, k))
	if _, ok, _ := AttestationByID(ws, lateID); ok {
		t.Fatal("an attestation below the history and its kind's latest was stored")
	}
	if a, _, _ := Latest(ws, dev, "power"); a.Seq != first+n-2 {
		t.Fatal("a late reading replaced the latest")
	}
	if _, _, err := Submit(ws, p, chainID, now, sign(t, late, k)); !errors.Is(err, ErrReplay) {
		t.Fatalf("late reading again: %v", err)
	}
	// A late reading of a new kind: stored as that kind's latest only.
	newKind := submit(t, ws, p, sign(t, reading(dev, first-50, "new"), k))
	if _, ok, _ := AttestationByID(ws, newKind); !ok {
		t.Fatal("the latest of a new kind is not stored")
	}
	checkIndexes(t, ws, p, dev)
	// A newer one of that kind replaces it, and the old record goes.
	submit(t, ws, p, sign(t, reading(dev, first+n, "new"), k))
	if _, ok, _ := AttestationByID(ws, newKind); ok {
		t.Fatal("a replaced latest outside the history is still stored")
	}
	if a, _, _ := Latest(ws, dev, "new"); a.Seq != first+n {
		t.Fatalf("latest new: %d", a.Seq)
	}
	hist = checkIndexes(t, ws, p, dev)
	if len(hist) != historyV1 || hist[0] != first+n-historyV1+1 {
		t.Fatalf("history after one more: %d entries from %d", len(hist), hist[0])
	}
}

// TestRealStore: attestations committed to a real store are read back
// through it after a reopen, and a replay is still refused.
func TestRealStore(t *testing.T) {
	dir := t.TempDir()
	opts := state.Options{ChainID: "test-chain", NodeCacheBytes: -1, CacheBytes: 1 << 20, CheckInvariants: true}
	s, err := state.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	p := testParams()
	k := key(t, sigs.P256, 7)
	ws := state.NewWriteSet(s)
	dev := register(t, ws, alice, k)
	raw := sign(t, reading(dev, 42, "power"), k)
	id := submit(t, ws, p, raw)
	if _, err := s.Commit(1, ws.Changes()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = state.Open(dir, opts); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, ok, err := Latest(s, dev, "power")
	if err != nil || !ok || a.Seq != 42 {
		t.Fatalf("Latest through the store: %v %v", ok, err)
	}
	if h, err := History(s, dev, 0, math.MaxUint64, 0); err != nil || len(h) != 1 {
		t.Fatalf("History through the store: %d %v", len(h), err)
	}
	if _, ok, _ := AttestationByID(s, id); !ok {
		t.Fatal("AttestationByID through the store")
	}
	if _, _, err := Check(s, p, chainID, now, raw); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay after reopen: %v", err)
	}
	ws = state.NewWriteSet(s)
	submit(t, ws, p, sign(t, reading(dev, 41, "power"), k))
	if a, _, _ := Latest(ws, dev, "power"); a.Seq != 42 {
		t.Fatal("an older reading replaced the latest")
	}
}

func FuzzDecodeAttestation(f *testing.F) {
	k := key(f, sigs.Ed25519, 1)
	dev := NewID(k.Type(), k.Public().Bytes())
	for i, kind := range []string{"", "power", "a much longer kind of reading"} {
		a := reading(dev, uint64(i), kind)
		f.Add(sign(f, a, k))
	}
	f.Add([]byte{0x87, 0x60, 0x54})
	p := testParams()
	s, err := state.Open(f.TempDir(), state.Options{ChainID: "test-chain", NodeCacheBytes: -1, CacheBytes: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	defer s.Close()
	ws := state.NewWriteSet(s)
	if _, err := Register(ws, &v1Params, alice, k.Type(), k.Public().Bytes(), "meter", nil, canon.U256{}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := Decode(raw, &v1Params)
		if err == nil {
			// Whatever decodes has exactly this encoding, and an id.
			again, err := canon.Marshal(a)
			if err != nil || !bytes.Equal(again, raw) {
				t.Fatalf("decoded attestation re-encodes differently (%v)", err)
			}
			if _, err := a.ID(); err != nil {
				t.Fatal(err)
			}
		}
		// The full check must not panic, and refuses with a sentinel.
		if _, _, err := Check(ws, p, chainID, now, raw); err != nil {
			for _, s := range []error{ErrTooLarge, canon.ErrEncoding, ErrUnknownDevice, ErrChainID, ErrBadSignature, ErrStale, ErrFuture, ErrReplay, ErrSeqTooOld} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("refused without a sentinel: %v", err)
		}
	})
}

// historyV1 is params.Version1's AttestationHistory, as a constant for the
// tests' arithmetic.
const historyV1 = 256
