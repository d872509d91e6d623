package vm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/plinthchain/plinth/vm/internal/instrument"
	"github.com/plinthchain/plinth/vm/internal/wasm"
)

// TestSpec runs the WebAssembly spec suite (wast2json output) through the
// instrumenter: every module is prepared exactly as Deploy prepares it, and
// every assertion must hold as it does for the original module. Gas never
// runs out (each invocation gets specGas); assert_exhaustion must be caught
// by the stack limiter, not by wazero.
//
// PLINTH_SPECTEST_DIR points at a directory with v1/ and v2/; when it is set
// and unreadable the test fails. Exclusions live in
// testdata/spectest_exclusions.txt (whole scripts or script:line), each with
// its reason.
func TestSpec(t *testing.T) {
	dir := os.Getenv("PLINTH_SPECTEST_DIR")
	if dir == "" {
		t.Skip("PLINTH_SPECTEST_DIR not set; CI sets it (see .ci/run)")
	}
	excluded := readExclusions(t)
	total := map[string]int{}
	for _, v := range []struct {
		dir      string
		features wasm.Features
		core     api.CoreFeatures
	}{
		{"v1", wasm.FeaturesV1, api.CoreFeaturesV1},
		{"v2", wasm.FeaturesV2, api.CoreFeaturesV2 &^ api.CoreFeatureSIMD},
	} {
		files, err := filepath.Glob(filepath.Join(dir, v.dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no spec scripts under %s (err %v)", filepath.Join(dir, v.dir), err)
		}
		for _, f := range files {
			name := v.dir + "/" + strings.TrimSuffix(filepath.Base(f), ".json")
			if reason, ok := excluded[name]; ok {
				t.Logf("excluded %s: %s", name, reason)
				continue
			}
			t.Run(name, func(t *testing.T) {
				counts := runSpecScript(t, f, v.features, v.core, func(line int) (string, bool) {
					reason, ok := excluded[name+":"+strconv.Itoa(line)]
					return reason, ok
				})
				for k, n := range counts {
					total[k] += n
				}
			})
		}
	}
	var keys []string
	sum := 0
	for k, n := range total {
		keys = append(keys, fmt.Sprintf("%s=%d", k, n))
		if !strings.Contains(k, "(") {
			sum += n
		}
	}
	t.Logf("spec assertions: %d (%s)", sum, strings.Join(sortedStrings(keys), " "))
	if total["assert_return"] < 30000 {
		t.Fatalf("only %d assert_return ran: the suite did not load", total["assert_return"])
	}
}

func sortedStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func readExclusions(t *testing.T) map[string]string {
	f, err := os.Open("testdata/spectest_exclusions.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, ok := strings.Cut(line, " ")
		if !ok || strings.TrimSpace(reason) == "" {
			t.Fatalf("exclusion %q has no reason", line)
		}
		out[name] = strings.TrimSpace(reason)
	}
	return out
}

// specParams are the V1 parameters with limits raised to what the spec
// suite's modules declare; gas prices are unchanged.
func specParams() Params {
	p := ParamsV1()
	p.MaxMemoryPages = 65536
	p.MaxTableElements = 1 << 24
	p.MaxFunctions = 1 << 20
	p.MaxGlobals = 1 << 20
	p.MaxExports = 1 << 20
	p.MaxImports = 1 << 20
	p.MaxLocalsPerFunction = 1 << 20
	p.MaxBrTableTargets = 1 << 20
	return p
}

const specGas = 1 << 40

type specCommand struct {
	Type       string      `json:"type"`
	Line       int         `json:"line"`
	Name       string      `json:"name"`
	Filename   string      `json:"filename"`
	As         string      `json:"as"`
	Text       string      `json:"text"`
	ModuleType string      `json:"module_type"`
	Action     specAction  `json:"action"`
	Expected   []specValue `json:"expected"`
}

type specAction struct {
	Type   string      `json:"type"`
	Module string      `json:"module"`
	Field  string      `json:"field"`
	Args   []specValue `json:"args"`
}

type specValue struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type specRunner struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	rt       wazero.Runtime
	features wasm.Features
	params   Params
	named    map[string]api.Module
	last     api.Module
	all      []api.Module
	counts   map[string]int
	anon     int
}

func runSpecScript(t *testing.T, path string, f wasm.Features, core api.CoreFeatures, skip func(line int) (string, bool)) map[string]int {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var script struct {
		Commands []specCommand `json:"commands"`
	}
	if err := json.Unmarshal(raw, &script); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ctx := context.Background()
	r := &specRunner{
		t: t, ctx: ctx, dir: filepath.Dir(path), features: f, params: specParams(),
		rt:     wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(core)),
		named:  map[string]api.Module{},
		counts: map[string]int{},
	}
	defer r.rt.Close(ctx)
	if _, err := r.rt.InstantiateWithConfig(ctx, spectestModule(), wazero.NewModuleConfig().WithName("spectest")); err != nil {
		t.Fatalf("spectest host module: %v", err)
	}
	for i := 0; i < len(script.Commands); i++ {
		c := &script.Commands[i]
		// wazero cannot rename an instance, so a module is instantiated
		// under the name a later register command gives it.
		register := ""
		if c.Type == "module" {
			for j := i + 1; j < len(script.Commands); j++ {
				n := &script.Commands[j]
				if n.Type == "register" && (n.Name == c.Name || (n.Name == "" && j == i+1)) {
					register = n.As
					break
				}
				if n.Type == "module" && c.Name == "" {
					break
				}
			}
		}
		if reason, ok := skip(c.Line); ok {
			t.Logf("excluded line %d %s: %s", c.Line, c.Type, reason)
			r.counts["excluded"]++
			continue
		}
		r.command(c, register)
	}
	return r.counts
}

func (r *specRunner) fail(c *specCommand, format string, args ...any) {
	r.t.Helper()
	r.t.Errorf("line %d %s: %s", c.Line, c.Type, fmt.Sprintf(format, args...))
}

// load prepares and instantiates a module file; the start function, which
// the instrumenter turned into an export, runs right after instantiation.
func (r *specRunner) load(file, name string) (api.Module, error) {
	code, err := os.ReadFile(filepath.Join(r.dir, file))
	if err != nil {
		r.t.Fatal(err)
	}
	prep, err := prepare(code, &r.params, r.features)
	if err != nil {
		return nil, err
	}
	if name == "" {
		r.anon++
		name = fmt.Sprintf("anonymous-%d", r.anon)
	}
	mod, err := r.rt.InstantiateWithConfig(r.ctx, prep.bin, wazero.NewModuleConfig().WithName(name).WithStartFunctions())
	if err != nil {
		return nil, err
	}
	r.all = append(r.all, mod)
	if prep.res.HasStart {
		if _, err := r.invoke(mod, instrument.ExportStart, nil); err != nil {
			return nil, err
		}
	}
	return mod, nil
}

// invoke calls an export with fresh gas and stack meters on every module
// (a call may cross into imported functions of other modules).
func (r *specRunner) invoke(mod api.Module, field string, args []uint64) ([]uint64, error) {
	for _, m := range r.all {
		m.ExportedGlobal(instrument.ExportGas).(api.MutableGlobal).Set(specGas)
		m.ExportedGlobal(instrument.ExportStack).(api.MutableGlobal).Set(0)
	}
	fn := mod.ExportedFunction(field)
	if fn == nil {
		return nil, fmt.Errorf("no export %q", field)
	}
	res, err := fn.Call(r.ctx, args...)
	for _, m := range r.all {
		if g := int64(m.ExportedGlobal(instrument.ExportGas).Get()); g < 0 {
			r.t.Fatalf("invoke %s: ran out of %d gas", field, uint64(specGas))
		}
	}
	return res, err
}

func (r *specRunner) stackExhausted() bool {
	for _, m := range r.all {
		if uint32(m.ExportedGlobal(instrument.ExportStack).Get()) > r.params.MaxStackSlots {
			return true
		}
	}
	return false
}

func (r *specRunner) command(c *specCommand, register string) {
	r.counts[c.Type]++
	switch c.Type {
	case "module":
		name := c.Name
		if register != "" {
			name = register
		}
		mod, err := r.load(c.Filename, name)
		if err != nil {
			r.t.Fatalf("line %d: module %s: %v", c.Line, c.Filename, err)
		}
		if c.Name != "" {
			r.named[c.Name] = mod
		}
		r.last = mod
	case "register":
		// Done when the module was instantiated.
	case "assert_return", "action":
		got, err := r.act(c)
		if err != nil {
			r.fail(c, "%s: %v", c.Action.Field, err)
			return
		}
		if c.Type == "assert_return" {
			if msg := compareValues(got, c.Expected); msg != "" {
				r.fail(c, "%s%v: %s", c.Action.Field, c.Action.Args, msg)
			}
		}
	case "assert_trap", "assert_exhaustion":
		var err error
		if c.Filename != "" {
			_, err = r.load(c.Filename, "")
		} else {
			_, err = r.act(c)
		}
		switch {
		case err == nil:
			r.fail(c, "%s: no trap, want %q", c.Action.Field, c.Text)
		case c.Type == "assert_exhaustion" && !r.stackExhausted():
			r.fail(c, "%s: %v: the stack limiter did not fire", c.Action.Field, err)
		case c.Type == "assert_trap" && c.Filename == "":
			if want, ok := expectedTrap(c.Text); ok {
				if got, _ := trapKind(err); got != want {
					r.fail(c, "%s: trap %q, want %q", c.Action.Field, got, c.Text)
				}
			} else {
				r.fail(c, "unmapped trap text %q", c.Text)
			}
		}
	case "assert_invalid", "assert_malformed":
		if c.ModuleType == "text" {
			r.counts[c.Type]--
			r.counts[c.Type+"(text, not applicable)"]++
			return
		}
		code, err := os.ReadFile(filepath.Join(r.dir, c.Filename))
		if err != nil {
			r.t.Fatal(err)
		}
		prep, err := prepare(code, &r.params, r.features)
		if err != nil {
			// Refused by Plinth's own checks, with section, function and
			// offset, before wazero saw it.
			r.counts[c.Type+"(refused by plinth)"]++
		}
		if err == nil {
			var compiled wazero.CompiledModule
			compiled, err = r.rt.CompileModule(r.ctx, prep.bin)
			if err == nil {
				_ = compiled.Close(r.ctx)
			} else if os.Getenv("PLINTH_SPEC_VERBOSE") != "" {
				r.t.Logf("line %d: refused by wazero only: %v", c.Line, err)
			}
		}
		if err == nil {
			r.fail(c, "%s accepted, want rejection %q", c.Filename, c.Text)
		}
	case "assert_unlinkable", "assert_uninstantiable":
		if _, err := r.load(c.Filename, ""); err == nil {
			r.fail(c, "%s instantiated, want failure %q", c.Filename, c.Text)
		}
	default:
		r.fail(c, "unknown command")
	}
}

func (r *specRunner) act(c *specCommand) ([]uint64, error) {
	mod := r.last
	if c.Action.Module != "" {
		mod = r.named[c.Action.Module]
	}
	if mod == nil {
		return nil, errors.New("no module")
	}
	switch c.Action.Type {
	case "invoke":
		args := make([]uint64, len(c.Action.Args))
		for i, a := range c.Action.Args {
			args[i] = a.bits()
		}
		return r.invoke(mod, c.Action.Field, args)
	case "get":
		g := mod.ExportedGlobal(c.Action.Field)
		if g == nil {
			return nil, fmt.Errorf("no global %q", c.Action.Field)
		}
		return []uint64{g.Get()}, nil
	}
	return nil, fmt.Errorf("unknown action %q", c.Action.Type)
}

func (v specValue) bits() uint64 {
	s, _ := v.Value.(string)
	if s == "" || s == "null" {
		return 0
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("spec value %q: %v", s, err))
	}
	if v.Type == "externref" {
		// wazero's externref is an opaque pointer where 0 is null, so
		// "ref.extern 0" is passed as 1.
		n++
	}
	return n
}

// compareValues checks results against expectations; NaN expectations
// accept any NaN of the right class, which the canonical NaN always is.
func compareValues(got []uint64, want []specValue) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d results, want %d", len(got), len(want))
	}
	for i, w := range want {
		s, _ := w.Value.(string)
		g := got[i]
		switch {
		case w.Value == nil && (w.Type == "funcref" || w.Type == "externref"):
			// any reference
		case strings.HasPrefix(s, "nan:"):
			if !isNaN(g, w.Type) {
				return fmt.Sprintf("result %d = %#x, want %s", i, g, s)
			}
			if s == "nan:canonical" && !isCanonicalNaN(g, w.Type) {
				return fmt.Sprintf("result %d = %#x, want a canonical NaN", i, g)
			}
		case w.Type == "f32":
			if uint32(g) != uint32(w.bits()) {
				return fmt.Sprintf("result %d = %#x, want %#x", i, uint32(g), uint32(w.bits()))
			}
		case w.Type == "i32":
			if uint32(g) != uint32(w.bits()) {
				return fmt.Sprintf("result %d = %d, want %d", i, uint32(g), uint32(w.bits()))
			}
		default:
			if g != w.bits() {
				return fmt.Sprintf("result %d = %#x, want %#x", i, g, w.bits())
			}
		}
	}
	return ""
}

func isNaN(bits uint64, typ string) bool {
	if typ == "f32" {
		b := uint32(bits)
		return b&0x7F800000 == 0x7F800000 && b&0x007FFFFF != 0
	}
	return bits&0x7FF0000000000000 == 0x7FF0000000000000 && bits&0x000FFFFFFFFFFFFF != 0
}

func isCanonicalNaN(bits uint64, typ string) bool {
	if typ == "f32" {
		return uint32(bits)&0x7FFFFFFF == wasm.CanonicalNaN32
	}
	return bits&0x7FFFFFFFFFFFFFFF == wasm.CanonicalNaN64
}

// expectedTrap maps the spec's trap texts to trap kinds.
func expectedTrap(text string) (TrapKind, bool) {
	switch {
	case strings.Contains(text, "out of bounds memory access"):
		return TrapOutOfBoundsMemory, true
	case strings.Contains(text, "indirect call type mismatch"):
		return TrapIndirectCallTypeMismatch, true
	case strings.Contains(text, "undefined"), strings.Contains(text, "uninitialized"),
		strings.Contains(text, "out of bounds table access"):
		return TrapInvalidTableAccess, true
	case strings.Contains(text, "indirect call"):
		return TrapIndirectCallTypeMismatch, true
	case strings.Contains(text, "integer divide by zero"):
		return TrapIntegerDivideByZero, true
	case strings.Contains(text, "integer overflow"):
		return TrapIntegerOverflow, true
	case strings.Contains(text, "invalid conversion to integer"):
		return TrapInvalidConversion, true
	case strings.Contains(text, "unreachable"):
		return TrapUnreachable, true
	}
	return 0, false
}

// spectestModule builds the "spectest" module the suite imports from:
// printing functions that do nothing, globals, a table and a memory.
func spectestModule() []byte {
	m := &wasm.Module{}
	printTypes := [][]wasm.ValType{{}, {wasm.I32}, {wasm.I64}, {wasm.F32}, {wasm.F64}, {wasm.I32, wasm.F32}, {wasm.F64, wasm.F64}}
	printNames := []string{"print", "print_i32", "print_i64", "print_f32", "print_f64", "print_i32_f32", "print_f64_f64"}
	for i, ps := range printTypes {
		m.Types = append(m.Types, wasm.FuncType{Params: ps})
		m.Funcs = append(m.Funcs, uint32(i))
		m.Codes = append(m.Codes, wasm.Code{Body: []byte{byte(wasm.OpEnd)}})
		m.Exports = append(m.Exports, wasm.Export{Name: printNames[i], Kind: wasm.KindFunc, Index: uint32(i)})
	}
	m.Globals = []wasm.Global{
		{Type: wasm.GlobalType{Type: wasm.I32}, Init: wasm.ConstI32(666)},
		{Type: wasm.GlobalType{Type: wasm.I64}, Init: wasm.ConstI64(666)},
		{Type: wasm.GlobalType{Type: wasm.F32}, Init: wasm.ConstF32(0x4426a666)},         // 666.6
		{Type: wasm.GlobalType{Type: wasm.F64}, Init: wasm.ConstF64(0x4084d4cccccccccd)}, // 666.6
	}
	for i, n := range []string{"global_i32", "global_i64", "global_f32", "global_f64"} {
		m.Exports = append(m.Exports, wasm.Export{Name: n, Kind: wasm.KindGlobal, Index: uint32(i)})
	}
	m.Tables = []wasm.TableType{{Elem: wasm.FuncRef, Limits: wasm.Limits{Min: 10, Max: 20, HasMax: true}}}
	m.Memories = []wasm.Limits{{Min: 1, Max: 2, HasMax: true}}
	m.Exports = append(m.Exports,
		wasm.Export{Name: "table", Kind: wasm.KindTable, Index: 0},
		wasm.Export{Name: "memory", Kind: wasm.KindMemory, Index: 0})
	return wasm.Encode(m)
}
