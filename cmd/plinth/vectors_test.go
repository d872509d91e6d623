package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestVectorsRun: `plinth vectors run` passes the committed vectors and
// reports a tampered one as failed, with exit status 1.
func TestVectorsRun(t *testing.T) {
	run := func(dir string) (map[string]any, error) {
		var out bytes.Buffer
		app := newApp()
		app.Writer = &out
		app.ExitErrHandler = func(*cli.Context, error) {} // return the error, do not exit the test
		err := app.RunContext(context.Background(), []string{"plinth", "vectors", "run", "--output", "json", dir})
		var v map[string]any
		if jerr := json.Unmarshal(out.Bytes(), &v); jerr != nil {
			t.Fatalf("printed %q: %v", out.String(), jerr)
		}
		return v, err
	}
	all, err := run(filepath.Join("..", "..", "testvectors"))
	if err != nil || all["failed"] != float64(0) || all["passed"].(float64) < 25 {
		t.Fatalf("the committed vectors: %v %v", all, err)
	}

	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("..", "..", "testvectors", "transfer", "simple.json"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(string(b), `"gas_used": `, `"gas_used": 1`, 1)
	if err := os.WriteFile(filepath.Join(dir, "simple.json"), []byte(tampered), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := run(dir)
	if err == nil || got["failed"] != float64(1) || !strings.Contains(got["failures"].([]any)[0].(map[string]any)["diffs"].([]any)[0].(string), "gas_used") {
		t.Fatalf("a tampered vector: %v %v", got, err)
	}
}
