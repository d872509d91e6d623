package vm

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/plinthchain/plinth/vm/internal/wat"
)

// TestCacheSurvivesRestart deploys a module that needs pre-initialization
// with a cache directory, then deploys it again from a new engine on the
// same directory: the second deploy must come from the prepared-module
// cache, add nothing to wazero's compiled-code cache (it did not compile),
// and behave identically.
func TestCacheSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	code := wat.MustCompile(`(module
  (memory 1)
  (global $calls (mut i32) (i32.const 0))
  (func $start i32.const 64 i32.const 42 i32.store)
  (start $start)
  (func (export "_initialize") i32.const 68 i32.const 7 i32.store)
  (func (export "run") (result i32)
    global.get $calls i32.const 1 i32.add global.set $calls
    i32.const 64 i32.load i32.const 68 i32.load i32.add global.get $calls i32.add))`)
	run := func() (*Module, Result) {
		e, err := NewEngine(ctx, Config{CacheDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close(ctx) })
		m, err := e.Deploy(ctx, code, ParamsV1())
		if err != nil {
			t.Fatal(err)
		}
		res, err := m.Call(ctx, Request{Func: "run", Gas: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return m, res
	}
	m1, r1 := run()
	if m1.fromCache || !m1.Preinit {
		t.Fatalf("first deploy: fromCache=%v preinit=%v", m1.fromCache, m1.Preinit)
	}
	before := listFiles(t, filepath.Join(dir, "wazero"))
	if len(before) == 0 {
		t.Fatal("wazero cached nothing")
	}
	m2, r2 := run()
	if !m2.fromCache {
		t.Fatal("second deploy did not use the prepared-module cache")
	}
	if after := listFiles(t, filepath.Join(dir, "wazero")); len(after) != len(before) {
		t.Fatalf("wazero cache went from %d to %d files: the restart recompiled", len(before), len(after))
	}
	// 42 + 7 + 1: start and _initialize ran once, at deploy; globals reset per call.
	if r1.Values[0] != 50 || r2.Values[0] != 50 || r1.GasUsed != r2.GasUsed {
		t.Fatalf("results %v/%d and %v/%d, want 50 and equal gas", r1.Values, r1.GasUsed, r2.Values, r2.GasUsed)
	}
	if _, err := m2.Call(ctx, Request{Func: "_initialize", Gas: 1000}); err == nil {
		t.Fatal("_initialize is callable after pre-initialization")
	}
}

func listFiles(t *testing.T, dir string) []string {
	var out []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
