package chain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/plinthchain/plinth/runtime"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/canon"
	"github.com/plinthchain/plinth/runtime/tx"
	"github.com/plinthchain/plinth/state"
	"github.com/plinthchain/plinth/vm/vmtest"
)

// TestScenarios runs the whole-block scenarios in testdata/scenarios: each
// block's receipts and state changes, as the files spell them out
// (rewrite with -rewrite after a deliberate change).
//
//	genesis accounts=N            a chain of N funded accounts (a0, a1, …)
//	wat name=NAME                 assemble the input as contract code NAME
//	block [invalid]               one block of the input's transactions:
//	  transfer from=a0 to=a1 amount=5
//	  deploy from=a0 code=NAME
//	  instantiate from=a0 code=NAME [init=HEX] [admin=a0]
//	  call from=a0 contract=c0 method=M [input=HEX] [funds=N]
//	  (any line: [gas=G] [price=P] [nonce=N])
//
// Contracts are named c0, c1, … in instantiation order.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		var sc *scenario
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "genesis":
				var n int
				d.ScanArgs(t, "accounts", &n)
				sc = newScenario(t, n)
				return ""
			case "wat":
				var name string
				d.ScanArgs(t, "name", &name)
				code, err := vmtest.Wat(d.Input)
				if err != nil {
					return err.Error()
				}
				sc.codes[name] = code
				return fmt.Sprintf("%s: %d bytes, hash %x", name, len(code), sha256.Sum256(code))
			case "block":
				return sc.block(t, d.Input, d.HasArg("invalid"))
			}
			t.Fatalf("unknown command %q", d.Cmd)
			return ""
		})
	})
}

type scenario struct {
	net       *testNet
	chain     *Chain
	store     *state.Store
	codes     map[string][]byte
	contracts []address.Address
	nonces    map[int]uint64
	time      uint64
}

func newScenario(t *testing.T, accounts int) *scenario {
	net := newNet(t, accounts)
	c, s := openChain(t, t.TempDir(), net.genesis)
	t.Cleanup(func() { s.Close() })
	return &scenario{net: net, chain: c, store: s, codes: map[string][]byte{}, nonces: map[int]uint64{}, time: net.genesis.Time}
}

func (sc *scenario) block(t *testing.T, input string, invalid bool) string {
	var txs [][]byte
	nonces := maps(sc.nonces)
	pending := len(sc.contracts)
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		args := map[string]string{}
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			args[k] = v
		}
		from := sc.account(t, args["from"])
		var body tx.Body
		switch fields[0] {
		case "transfer":
			body = tx.Transfer{To: sc.net.addrs[sc.account(t, args["to"])], Amount: amount(t, args["amount"])}
		case "deploy":
			body = tx.Deploy{Code: sc.codes[args["code"]]}
		case "instantiate":
			ins := tx.Instantiate{CodeHash: sha256.Sum256(sc.codes[args["code"]]), Init: unhex(t, args["init"]), Funds: amount(t, args["funds"])}
			if a, ok := args["admin"]; ok {
				ins.Admin = sc.net.addrs[sc.account(t, a)][:]
			}
			body = ins
			sc.contracts = append(sc.contracts, address.Contract(sc.net.addrs[from], sc.instantiated(from)))
		case "call":
			body = tx.Call{Contract: sc.contract(t, args["contract"]), Method: args["method"], Input: unhex(t, args["input"]), Funds: amount(t, args["funds"])}
		default:
			t.Fatalf("unknown transaction %q", fields[0])
		}
		x := &tx.Tx{ChainID: chainID, Nonce: nonces[from], GasLimit: 50_000_000, GasPrice: canon.NewU256(1), Payload: tx.Payload{Body: body}}
		if v, ok := args["nonce"]; ok {
			x.Nonce = uint64(atoi(t, v))
		}
		if v, ok := args["gas"]; ok {
			x.GasLimit = uint64(atoi(t, v))
		}
		if v, ok := args["price"]; ok {
			x.GasPrice = amount(t, v)
		}
		nonces[from] = x.Nonce + 1
		raw, err := tx.Sign(x, sc.net.keys[from])
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, raw)
	}
	sc.time += 1000
	_, out, err := sc.chain.Propose(context.Background(), txs, sc.time, sc.net.proposer)
	if invalid {
		sc.contracts = sc.contracts[:pending]
		sc.time -= 1000
		if err == nil {
			t.Fatal("the block was accepted")
		}
		return "rejected: " + err.Error()
	}
	if err != nil {
		t.Fatal(err)
	}
	sc.nonces = nonces
	var b strings.Builder
	for i, r := range out.Receipts {
		fmt.Fprintf(&b, "tx %d: %s gas=%d", i, r.Code, r.GasUsed)
		if len(r.Return) > 0 {
			fmt.Fprintf(&b, " return=%x", r.Return)
		}
		if r.Code != runtime.CodeOK {
			fmt.Fprintf(&b, " message=%q", r.Message)
		}
		for _, e := range r.Events {
			fmt.Fprintf(&b, "\n  event %s", e.Type)
			for _, a := range e.Attributes {
				fmt.Fprintf(&b, " %s=%s", a.Key, sc.name(a.Value))
			}
		}
		b.WriteByte('\n')
	}
	changes := slices.Clone(out.Changes)
	slices.SortFunc(changes, func(a, b state.Change) int { return bytes.Compare(a.Key, b.Key) })
	for _, c := range changes {
		b.WriteString(sc.describe(t, c))
		b.WriteByte('\n')
	}
	return b.String()
}

// instantiated counts the contracts from has instantiated in earlier
// lines and blocks (its next contract's counter).
func (sc *scenario) instantiated(from int) uint64 {
	var n uint64
	for _, c := range sc.contracts {
		for i := uint64(0); i < 64; i++ {
			if address.Contract(sc.net.addrs[from], i) == c {
				n = max(n, i+1)
			}
		}
	}
	return n
}

func (sc *scenario) describe(t *testing.T, c state.Change) string {
	k := c.Key
	val := func() string {
		if c.Delete {
			return "deleted"
		}
		return fmt.Sprintf("%x", c.Value)
	}
	switch k[0] {
	case 'a':
		var acc runtime.Account
		if err := canon.Unmarshal(c.Value, &acc); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("account %s: nonce=%d balance=%s", sc.name(k[1:]), acc.Nonce, acc.Balance)
	case 's':
		return fmt.Sprintf("storage %s %q: %s", sc.name(k[1:21]), k[21:], val())
	case 'c':
		return fmt.Sprintf("contract %s: %s", sc.name(k[1:]), val())
	case 'n':
		return fmt.Sprintf("instantiated by %s: %s", sc.name(k[1:]), val())
	case 'k':
		return fmt.Sprintf("code %x chunk %x: %d bytes", k[1:9], k[33:], len(c.Value))
	case 'K':
		return fmt.Sprintf("code %x length: %s", k[1:9], val())
	}
	return fmt.Sprintf("%q: %s", k, val())
}

// name renders an address as a0…, c0…, proposer, or hex.
func (sc *scenario) name(b []byte) string {
	if len(b) == 20 {
		a := address.Address(b)
		for i, x := range sc.net.addrs {
			if x == a {
				return fmt.Sprintf("a%d", i)
			}
		}
		for i, x := range sc.contracts {
			if x == a {
				return fmt.Sprintf("c%d", i)
			}
		}
		if a == sc.net.proposer {
			return "proposer"
		}
	}
	return hex.EncodeToString(b)
}

func (sc *scenario) account(t *testing.T, s string) int {
	if !strings.HasPrefix(s, "a") {
		t.Fatalf("account %q", s)
	}
	return atoi(t, s[1:])
}

func (sc *scenario) contract(t *testing.T, s string) address.Address {
	if strings.HasPrefix(s, "c") {
		if i := atoi(t, s[1:]); i < len(sc.contracts) {
			return sc.contracts[i]
		}
	}
	return address.Address{0xee}
}

func amount(t *testing.T, s string) canon.U256 {
	if s == "" {
		return canon.U256{}
	}
	u, err := canon.ParseU256(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func maps(m map[int]uint64) map[int]uint64 {
	out := make(map[int]uint64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
