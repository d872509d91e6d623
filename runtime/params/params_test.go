package params

import (
	"errors"
	"testing"
)

func TestVersion1(t *testing.T) {
	p := Version1()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	h1, _ := p.Hash()
	h2, _ := q.Hash()
	if h1 != h2 {
		t.Fatal("a decoded copy hashes differently")
	}
	// Any one number changes the hash.
	q.TransferGas++
	if h3, _ := q.Hash(); h3 == h1 {
		t.Fatal("TransferGas is not in the hash")
	}
	q = p
	q.VM.Gas.IntDiv++
	if h3, _ := q.Hash(); h3 == h1 {
		t.Fatal("the VM gas schedule is not in the hash")
	}
}

func TestValidateRefuses(t *testing.T) {
	for name, mod := range map[string]func(*Params){
		"unknown version":       func(p *Params) { p.Version = 2 },
		"block below a tx":      func(p *Params) { p.MaxBlockBytes = p.MaxTxBytes - 1 },
		"block gas too small":   func(p *Params) { p.MaxBlockGas = 1 },
		"no attestation window": func(p *Params) { p.AttestationWindow = 0 },
		"bad VM params":         func(p *Params) { p.VM.MaxMemoryPages = 0 },
	} {
		p := Version1()
		mod(&p)
		if err := p.Validate(); !errors.Is(err, ErrParams) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
