package testvectors

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/chain"
	"github.com/plinthchain/plinth/state"
)

// Outcomes executes v's blocks on a fresh chain (this implementation: the
// runtime over a Pebble store in a temporary directory) and returns what
// each block came to, in the vector's terms, with the state of the
// watched accounts after each block. dir resolves genesis code_path.
func Outcomes(ctx context.Context, v *Vector, dir string, watch []address.Address) ([]Expect, error) {
	return Runner{}.Outcomes(ctx, v, dir, watch)
}

// Runner runs vectors. CacheDir, if set, keeps compiled modules between
// vectors (the reference contracts' modules take seconds to compile).
type Runner struct {
	CacheDir string
}

// Outcomes is the package's Outcomes with r's cache.
func (r Runner) Outcomes(ctx context.Context, v *Vector, dir string, watch []address.Address) ([]Expect, error) {
	g, err := runtime.ParseGenesisIn(v.Genesis, dir)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	tmp, err := os.MkdirTemp("", "plinth-vector-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	s, err := state.Open(filepath.Join(tmp, "state"), state.Options{ChainID: g.ChainID})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rt, err := runtime.New(ctx, runtime.Config{CacheDir: r.CacheDir})
	if err != nil {
		return nil, err
	}
	defer rt.Close(ctx)
	c, err := chain.Open(ctx, s, rt, g)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	var out []Expect
	for i, b := range v.Blocks {
		proposer, err := address.Parse(b.Proposer)
		if err != nil {
			return nil, fmt.Errorf("block %d: proposer: %w", i, err)
		}
		pend, err := c.Build(ctx, chain.Draft{Txs: bytesList(b.Txs), Time: b.Time, Proposer: proposer, Evidence: bytesList(b.Evidence)})
		if err != nil {
			idx, reason, ok := Reason(err)
			if !ok {
				return nil, fmt.Errorf("block %d: %w", i, err)
			}
			out = append(out, Expect{Invalid: &Invalid{Tx: idx, Reason: reason}})
			continue
		}
		if err := c.CommitPending(pend, nil); err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		blk, res := pend.Block, pend.Out
		h, err := blk.Header.Hash()
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", i, err)
		}
		e := Expect{StateRoot: res.StateRoot[:], BlockHash: h[:], Receipts: []Receipt{}}
		for _, r := range res.Receipts {
			e.Receipts = append(e.Receipts, receipt(r))
		}
		if len(watch) > 0 {
			e.Accounts = map[string]Account{}
			for _, a := range watch {
				acc, err := runtime.LoadAccount(c.State(), a)
				if err != nil {
					return nil, fmt.Errorf("block %d: account %s: %w", i, a, err)
				}
				e.Accounts[a.String()] = Account{Balance: acc.Balance.Dec(), Nonce: acc.Nonce}
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// bytesList is a vector's hex strings as the byte strings a block holds.
func bytesList(hs []Hex) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func receipt(r runtime.Receipt) Receipt {
	out := Receipt{Code: uint32(r.Code), GasUsed: r.GasUsed, Events: []Event{}, Return: Hex(r.Return), Message: r.Message}
	if out.Return == nil {
		out.Return = Hex{}
	}
	for _, e := range r.Events {
		ev := Event{Type: e.Type, Attributes: []Attribute{}}
		for _, a := range e.Attributes {
			ev.Attributes = append(ev.Attributes, Attribute{Key: a.Key, Value: a.Value})
		}
		out.Events = append(out.Events, ev)
	}
	return out
}

// Check runs v and lists every way the outcome differs from what v
// expects (none: it passes).
func Check(ctx context.Context, v *Vector, dir string) ([]string, error) {
	return Runner{}.Check(ctx, v, dir)
}

// Check is the package's Check with r's cache.
func (r Runner) Check(ctx context.Context, v *Vector, dir string) ([]string, error) {
	seen := map[address.Address]bool{}
	var watch []address.Address
	for _, b := range v.Blocks {
		for a := range b.Expect.Accounts {
			addr, err := address.Parse(a)
			if err != nil {
				return nil, fmt.Errorf("expected account %q: %w", a, err)
			}
			if !seen[addr] {
				seen[addr] = true
				watch = append(watch, addr)
			}
		}
	}
	got, err := r.Outcomes(ctx, v, dir, watch)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for i, b := range v.Blocks {
		diffs = append(diffs, compare(fmt.Sprintf("block %d", i), b.Expect, got[i])...)
	}
	return diffs, nil
}

func compare(at string, want, got Expect) []string {
	var d []string
	differ := func(what string, w, g any) {
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		d = append(d, fmt.Sprintf("%s: %s: want %s, got %s", at, what, wj, gj))
	}
	if !reflect.DeepEqual(want.Invalid, got.Invalid) {
		differ("invalid", want.Invalid, got.Invalid)
		return d
	}
	if len(want.Receipts) != len(got.Receipts) {
		differ("receipts", len(want.Receipts), len(got.Receipts))
	}
	for i := range min(len(want.Receipts), len(got.Receipts)) {
		w, g := want.Receipts[i], got.Receipts[i]
		r := fmt.Sprintf("receipt %d", i)
		if w.Code != g.Code {
			differ(r+" code", w.Code, g.Code)
		}
		if w.GasUsed != g.GasUsed {
			differ(r+" gas_used", w.GasUsed, g.GasUsed)
		}
		if w.Message != g.Message {
			differ(r+" message", w.Message, g.Message)
		}
		if !bytes.Equal(w.Return, g.Return) {
			differ(r+" return", w.Return, g.Return)
		}
		if !reflect.DeepEqual(normal(w.Events), normal(g.Events)) {
			differ(r+" events", w.Events, g.Events)
		}
	}
	keys := make([]string, 0, len(want.Accounts))
	for a := range want.Accounts {
		keys = append(keys, a)
	}
	sort.Strings(keys)
	for _, a := range keys {
		if w, g := want.Accounts[a], got.Accounts[a]; w != g {
			differ("account "+a, w, g)
		}
	}
	if !bytes.Equal(want.StateRoot, got.StateRoot) {
		differ("state_root", want.StateRoot, got.StateRoot)
	}
	if !bytes.Equal(want.BlockHash, got.BlockHash) {
		differ("block_hash", want.BlockHash, got.BlockHash)
	}
	return d
}

// normal makes nil and empty compare equal.
func normal(es []Event) []Event {
	out := []Event{}
	for _, e := range es {
		n := Event{Type: e.Type, Attributes: []Attribute{}}
		for _, a := range e.Attributes {
			if a.Value == nil {
				a.Value = Hex{}
			}
			n.Attributes = append(n.Attributes, a)
		}
		out = append(out, n)
	}
	return out
}

// Load reads a vector file, refusing unknown fields and other formats.
func Load(path string) (*Vector, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var v Vector
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if v.Format != Format {
		return nil, fmt.Errorf("%s: format %d, this runner reads %d", path, v.Format, Format)
	}
	if len(v.Blocks) == 0 {
		return nil, fmt.Errorf("%s: no blocks", path)
	}
	return &v, nil
}

// Files lists the vector files under dir (*.json, recursively), sorted.
func Files(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	if err == nil && len(out) == 0 {
		err = errors.New("no vectors (*.json) under " + dir)
	}
	return out, err
}

// Result is one vector's outcome.
type Result struct {
	Path  string
	Diffs []string
	Err   error
}

// Passed reports whether the vector passed.
func (r Result) Passed() bool { return r.Err == nil && len(r.Diffs) == 0 }

// RunDir checks every vector under dir, sharing one compile cache.
func RunDir(ctx context.Context, dir string) ([]Result, error) {
	files, err := Files(dir)
	if err != nil {
		return nil, err
	}
	cache, err := os.MkdirTemp("", "plinth-vectors-cache-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(cache)
	runner := Runner{CacheDir: cache}
	var out []Result
	for _, f := range files {
		r := Result{Path: f}
		v, err := Load(f)
		if err == nil {
			r.Diffs, err = runner.Check(ctx, v, filepath.Dir(f))
		}
		r.Err = err
		out = append(out, r)
	}
	return out, nil
}
