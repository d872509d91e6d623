// Package build compiles a Go contract to the WebAssembly module the chain
// runs, with the standard Go toolchain and nothing else: GOOS=wasip1
// GOARCH=wasm, -buildmode=c-shared (so the module keeps its runtime
// between calls and exports what //go:wasmexport marks), and the flags
// that make the output reproducible.
//
// Reproducible means: the same source, dependencies and Go version give
// the same bytes, whatever the directory, machine or time. -trimpath drops
// file system paths, an empty -buildid drops the build's content hash
// (which differs with the cache state of the toolchain), -buildvcs=false
// drops the commit and dirty flag (a contract's code hash must not change
// because an unrelated file was edited). -s -w drop the symbol names and
// debug sections (about 90 KB, paid per byte at deploy); panic messages
// keep their function names, which come from Go's own tables. The Go version is part of the
// bytes; Result records it, so anyone can rebuild and compare code hashes
// (docs/contracts.md).
package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Toolchain is the Go release every contract is built with. The Go
// version is part of a module's bytes, so it is pinned, not merely a
// minimum: the go command runs exactly this release (downloading it if
// the installed one differs, as GOTOOLCHAIN allows), and the committed
// modules of the reference contracts are reproducible with it. It must
// match go.mod's toolchain line (a test checks).
const Toolchain = "go1.26.8"

// Flags are the go build flags of every contract build, before -o.
var Flags = []string{"build", "-buildmode=c-shared", "-trimpath", "-ldflags=-buildid= -s -w", "-buildvcs=false"}

// env is the environment of the go command: the caller's, with the target
// fixed and every variable that could change the output cleared.
func env() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOOS", "GOARCH", "CGO_ENABLED", "GOFLAGS", "GOWASM", "GOEXPERIMENT", "GOAMD64", "GOTOOLCHAIN":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=", "GOTOOLCHAIN="+Toolchain)
}

// Result describes a built contract.
type Result struct {
	Path      string   `json:"path"`
	Bytes     int      `json:"bytes"`
	CodeHash  [32]byte `json:"-"`
	GoVersion string   `json:"go_version"`
}

// ErrBuild is the error of a build that the go command refused; the
// error's text carries the compiler's output.
var ErrBuild = errors.New("contract build failed")

// Build compiles the main package in dir (a directory inside a Go module)
// to out.
func Build(ctx context.Context, dir, out string) (*Result, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("build %s: not a directory", dir)
	}
	args := append(append([]string(nil), Flags...), "-o", abs, ".")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if errors.Is(err, exec.ErrNotFound) {
			msg = "the go command is not on PATH: install Go (https://go.dev/dl/)"
		}
		return nil, fmt.Errorf("build %s: %w: %s", dir, ErrBuild, msg)
	}
	code, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	version, err := goVersion(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	return &Result{Path: abs, Bytes: len(code), CodeHash: sha256.Sum256(code), GoVersion: version}, nil
}

// goVersion is the version of the toolchain the go command in dir runs
// (the module's toolchain line may select another than the one on PATH).
func goVersion(ctx context.Context, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Dir = dir
	cmd.Env = env()
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOVERSION: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
