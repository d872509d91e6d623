// Command gen writes the conformance vectors (docs/vectors.md):
//
//	go run ./testvectors/gen [-out testvectors]
//
// Each scenario builds a vector's genesis and blocks; the generator runs
// them on this implementation to fill in the expected receipts, state
// roots and accounts, and, for the vectors derived by hand, first checks
// that the implementation agrees with the hand-worked values — a
// disagreement stops it: one of them is wrong, and the fix goes in with
// the vector.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"

	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/testvectors"
)

// scenario is one vector: its file is group/name.json.
type scenario struct {
	group, name string
	build       func(b *builder)
}

// scenarios is every vector, registered by the files of this package.
var scenarios []scenario

func register(group string, ss ...scenario) {
	for _, s := range ss {
		s.group = group
		scenarios = append(scenarios, s)
	}
}

func main() {
	out := flag.String("out", "testvectors", "directory the vectors are written under")
	only := flag.String("only", "", "generate only this group")
	flag.Parse()
	ctx := context.Background()
	cache, err := os.MkdirTemp("", "plinth-vectorgen-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(cache)
	runner := testvectors.Runner{CacheDir: cache}
	n, hand := 0, 0
	for _, s := range scenarios {
		if *only != "" && s.group != *only {
			continue
		}
		path := filepath.Join(*out, s.group, s.name+".json")
		v, isHand, err := generate(ctx, runner, s, filepath.Dir(path))
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s/%s: %v\n", s.group, s.name, err)
			os.Exit(1)
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			panic(err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			panic(err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			panic(err)
		}
		n++
		if isHand {
			hand++
		}
	}
	fmt.Printf("wrote %d vectors (%d derived by hand) under %s\n", n, hand, *out)
}

func generate(ctx context.Context, runner testvectors.Runner, s scenario, dir string) (*testvectors.Vector, bool, error) {
	b := newBuilder(s.group+"/"+s.name, "")
	s.build(b)
	if b.err != nil {
		return nil, false, b.err
	}
	b.v.Genesis = b.genesis()
	names := make([]string, 0, len(b.keys))
	for n := range b.keys {
		names = append(names, n)
	}
	sort.Strings(names)
	var watch []address.Address
	for _, n := range names {
		watch = append(watch, b.addr(n))
	}
	watch = append(watch, b.watch...)
	got, err := runner.Outcomes(ctx, &b.v, dir, watch)
	if err != nil {
		return nil, false, err
	}
	for i := range b.v.Blocks {
		b.v.Blocks[i].Expect = got[i]
	}
	for _, h := range b.hand {
		e := got[h.block]
		switch {
		case h.invalid != nil:
			if !reflect.DeepEqual(h.invalid, e.Invalid) {
				return nil, false, fmt.Errorf("block %d: worked out invalid %+v, the implementation says %+v", h.block, h.invalid, e.Invalid)
			}
		case h.account != "":
			a := e.Accounts[h.account]
			if a.Balance != *h.balance || a.Nonce != *h.nonce {
				return nil, false, fmt.Errorf("block %d: account %s worked out as balance %s nonce %d, the implementation has %+v", h.block, h.account, *h.balance, *h.nonce, a)
			}
		default:
			if e.Invalid != nil || h.receipt >= len(e.Receipts) {
				return nil, false, fmt.Errorf("block %d: no receipt %d (invalid: %+v)", h.block, h.receipt, e.Invalid)
			}
			r := e.Receipts[h.receipt]
			if r.Code != *h.code || r.GasUsed != *h.gas {
				return nil, false, fmt.Errorf("block %d receipt %d: worked out code %d gas %d, the implementation says code %d gas %d (%s)", h.block, h.receipt, *h.code, *h.gas, r.Code, r.GasUsed, r.Message)
			}
		}
	}
	return &b.v, len(b.hand) > 0, nil
}
