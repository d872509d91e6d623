package tendermint

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestDriver runs the scenarios in testdata/: each command is an input
// (or setup), its output the effects the driver returned and where it
// stands after. Values are single letters (A, B…); "nil" is no value.
// Rewrite the expected output with -rewrite after a deliberate change.
func TestDriver(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		var d *Driver
		value := func(s string) *ValueID {
			if s == "nil" {
				return nil
			}
			var v ValueID
			copy(v[:], s)
			return &v
		}
		datadriven.RunTest(t, path, func(t *testing.T, td *datadriven.TestData) string {
			arg := func(key, def string) string {
				for _, a := range td.CmdArgs {
					if a.Key == key && len(a.Vals) > 0 {
						return a.Vals[0]
					}
				}
				return def
			}
			num := func(key, def string) int {
				n, err := strconv.Atoi(arg(key, def))
				if err != nil {
					t.Fatalf("%s: %s=%q: %v", td.Pos, key, arg(key, def), err)
				}
				return n
			}
			var effects []Effect
			switch td.Cmd {
			case "init":
				var vals []Validator
				powers := strings.Split(arg("powers", ""), ",")
				for i := range num("validators", "4") {
					p := uint64(1)
					if i < len(powers) && powers[i] != "" {
						v, _ := strconv.Atoi(powers[i])
						p = uint64(v)
					}
					vals = append(vals, Validator{Name: fmt.Sprintf("v%d", i), Power: p})
				}
				set, err := NewValidatorSet(vals)
				if err != nil {
					return err.Error()
				}
				d = NewDriver(Params{ProposeBase: 300, ProposeDelta: 50, PrevoteBase: 100, PrevoteDelta: 50, PrecommitBase: 100, PrecommitDelta: 50}, set, num("self", "0"))
				var b strings.Builder
				for r := range Round(num("show-proposers", "0")) {
					fmt.Fprintf(&b, "proposer h=%d r=%d: v%d\n", num("height", "1"), r, set.Proposer(uint64(num("height", "1")), r))
				}
				return b.String()
			case "start":
				effects = d.Start(uint64(num("height", "1")), nil)
			case "value":
				effects = d.ProposeValue(Round(num("round", "0")), *value(arg("value", "A")))
			case "proposal":
				r := Round(num("round", "0"))
				from := num("from", strconv.Itoa(d.vals.Proposer(d.height, r)))
				effects = d.ReceiveProposal(Proposal{Height: uint64(num("height", strconv.FormatUint(d.height, 10))), Round: r,
					Value: *value(arg("value", "A")), POLRound: Round(num("pol", "-1")), Proposer: from}, arg("valid", "true") == "true")
			case "prevote", "precommit":
				typ := Prevote
				if td.Cmd == "precommit" {
					typ = Precommit
				}
				for _, f := range strings.Split(arg("from", ""), ",") {
					from, err := strconv.Atoi(f)
					if err != nil {
						t.Fatalf("%s: from=%q", td.Pos, f)
					}
					effects = append(effects, d.ReceiveVote(Vote{Type: typ, Height: uint64(num("height", strconv.FormatUint(d.height, 10))),
						Round: Round(num("round", "0")), Value: value(arg("value", "A")), Validator: from})...)
				}
			case "timeout":
				steps := map[string]Step{"propose": StepPropose, "prevote": StepPrevote, "precommit": StepPrecommit}
				effects = d.Timeout(steps[arg("step", "propose")], Round(num("round", "0")))
			default:
				t.Fatalf("%s: unknown command %s", td.Pos, td.Cmd)
			}
			var b strings.Builder
			for _, e := range effects {
				b.WriteString(e.String() + "\n")
			}
			locked := "none"
			if d.lockedValue != nil {
				locked = fmt.Sprintf("%s@%d", d.lockedValue, d.lockedRound)
			}
			valid := "none"
			if d.validValue != nil {
				valid = fmt.Sprintf("%s@%d", d.validValue, d.validRound)
			}
			fmt.Fprintf(&b, "state: h=%d r=%d %s locked=%s valid=%s\n", d.height, d.round, d.step, locked, valid)
			return b.String()
		})
	})
}
