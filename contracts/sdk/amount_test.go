package sdk

import (
	"math/rand/v2"
	"testing"

	"github.com/holiman/uint256"
)

// randomAmount draws values of every width, including the edges, so
// carries cross each word boundary.
func randomAmount(r *rand.Rand) (Amount, *uint256.Int) {
	var b [32]byte
	n := r.IntN(33)
	for i := 32 - n; i < 32; i++ {
		switch r.IntN(4) {
		case 0:
			b[i] = 0xff
		case 1:
			b[i] = 0
		default:
			b[i] = byte(r.Uint32())
		}
	}
	return AmountFromBytes(b[:]), new(uint256.Int).SetBytes(b[:])
}

// TestAmountAgainstUint256 checks every operation against holiman/uint256
// (the node's arithmetic) on random operands, including overflow and
// underflow, which must panic exactly when uint256 reports them.
func TestAmountAgainstUint256(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	panics := func(f func()) (p bool) {
		defer func() { p = recover() != nil }()
		f()
		return false
	}
	same := func(op string, got Amount, want *uint256.Int) {
		t.Helper()
		if got.Bytes32() != want.Bytes32() {
			t.Fatalf("%s: got %s, want %s", op, got, want.Dec())
		}
	}
	for range 20000 {
		a, ua := randomAmount(r)
		b, ub := randomAmount(r)
		if got, want := a.String(), ua.Dec(); got != want {
			t.Fatalf("String: %s, want %s", got, want)
		}
		if p, err := ParseAmount(ua.Dec()); err != nil || p != a {
			t.Fatalf("ParseAmount(%s) = %s, %v", ua.Dec(), p, err)
		}
		if got, want := a.Cmp(b), ua.Cmp(ub); got != want {
			t.Fatalf("Cmp(%s, %s) = %d, want %d", a, b, got, want)
		}
		var sum uint256.Int
		if _, overflow := sum.AddOverflow(ua, ub); overflow {
			if !panics(func() { a.Add(b) }) {
				t.Fatalf("%s + %s did not panic", a, b)
			}
		} else {
			same("Add", a.Add(b), &sum)
		}
		var diff uint256.Int
		if _, underflow := diff.SubOverflow(ua, ub); underflow {
			if !panics(func() { a.Sub(b) }) {
				t.Fatalf("%s - %s did not panic", a, b)
			}
		} else {
			same("Sub", a.Sub(b), &diff)
		}
		var prod uint256.Int
		if _, overflow := prod.MulOverflow(ua, ub); overflow {
			if !panics(func() { a.Mul(b) }) {
				t.Fatalf("%s * %s did not panic", a, b)
			}
		} else {
			same("Mul", a.Mul(b), &prod)
		}
		if ub.IsZero() {
			if !panics(func() { a.Div(b) }) {
				t.Fatal("division by zero did not panic")
			}
			continue
		}
		same("Div", a.Div(b), new(uint256.Int).Div(ua, ub))
		same("Mod", a.Mod(b), new(uint256.Int).Mod(ua, ub))
	}
}

func TestParseAmountRefuses(t *testing.T) {
	max := "115792089237316195423570985008687907853269984665640564039457584007913129639935"
	if a, err := ParseAmount(max); err != nil || a.Add(NewAmount(0)) != a {
		t.Fatalf("2^256-1: %v", err)
	}
	for _, s := range []string{"", "-1", "+1", "01", "1.5", "1e3", " 1", "0x10",
		"115792089237316195423570985008687907853269984665640564039457584007913129639936", max + "0"} {
		if _, err := ParseAmount(s); err == nil {
			t.Errorf("ParseAmount(%q) accepted", s)
		}
	}
	var a Amount
	if err := a.UnmarshalText([]byte("12345678901234567890123")); err != nil || a.String() != "12345678901234567890123" {
		t.Fatalf("UnmarshalText: %s %v", a, err)
	}
}
