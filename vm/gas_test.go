package vm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// TestGas runs the scripts in testdata/gas: modules in text form, calls and
// the exact gas they must use. Expected values are derived by hand from the
// rules in docs/gas.md (each script says how), so a change to the schedule
// or the instrumenter shows up here as a diff. Every script runs on the
// compiler and on the interpreter and must print the same on both.
func TestGas(t *testing.T) {
	for _, engine := range []struct {
		name        string
		interpreter bool
	}{{"compiler", false}, {"interpreter", true}} {
		t.Run(engine.name, func(t *testing.T) {
			datadriven.Walk(t, "testdata/gas", func(t *testing.T, path string) {
				ctx := context.Background()
				e, err := NewEngine(ctx, Config{Interpreter: engine.interpreter})
				if err != nil {
					t.Fatal(err)
				}
				defer e.Close(ctx)
				var mod *Module
				datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
					switch d.Cmd {
					case "deploy":
						p := ParamsV1()
						for _, arg := range d.CmdArgs {
							if arg.Key == "max-stack-slots" {
								n, _ := strconv.ParseUint(arg.Vals[0], 10, 32)
								p.MaxStackSlots = uint32(n)
							}
						}
						code, err := wat.Compile(d.Input)
						if err != nil {
							d.Fatalf(t, "%v", err)
						}
						m, err := e.Deploy(ctx, code, p)
						if err != nil {
							return "error: " + err.Error()
						}
						mod = m
						return "ok"
					case "call":
						var req Request
						d.ScanArgs(t, "func", &req.Func)
						d.ScanArgs(t, "gas", &req.Gas)
						if d.HasArg("args") {
							var args []string
							d.ScanArgs(t, "args", &args)
							for _, a := range args {
								req.Args = append(req.Args, parseArg(t, d, a))
							}
						}
						res, err := mod.Call(ctx, req)
						return formatResult(res, err)
					}
					d.Fatalf(t, "unknown command %q", d.Cmd)
					return ""
				})
			})
		})
	}
}

// parseArg reads a call argument: signed or unsigned, decimal or 0x hex
// (floats are given as their bits).
func parseArg(t *testing.T, d *datadriven.TestData, a string) uint64 {
	if v, err := strconv.ParseInt(a, 0, 64); err == nil {
		return uint64(v)
	}
	v, err := strconv.ParseUint(a, 0, 64)
	if err != nil {
		d.Fatalf(t, "arg %q: %v", a, err)
	}
	return v
}

// formatResult prints a call's outcome: values in hex (floats are easiest
// to check as bits), gas used, and the error class.
func formatResult(res Result, err error) string {
	var b strings.Builder
	if len(res.Values) > 0 {
		vs := make([]string, len(res.Values))
		for i, v := range res.Values {
			vs[i] = fmt.Sprintf("%#x", v)
		}
		fmt.Fprintf(&b, "values: %s\n", strings.Join(vs, " "))
	}
	fmt.Fprintf(&b, "gas: %d\n", res.GasUsed)
	var trap *TrapError
	switch {
	case err == nil:
	case errors.Is(err, ErrOutOfGas):
		b.WriteString("error: out of gas\n")
	case errors.Is(err, ErrStackExhausted):
		b.WriteString("error: stack exhausted\n")
	case errors.Is(err, ErrMemoryLimit):
		b.WriteString("error: memory limit\n")
	case errors.As(err, &trap):
		fmt.Fprintf(&b, "error: trap %s\n", trap.Kind)
	default:
		fmt.Fprintf(&b, "error: %v\n", err)
	}
	return b.String()
}
