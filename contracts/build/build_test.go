package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// copyFiles copies the named files (relative to the repository root) into
// dst, keeping their paths.
func copyFiles(t *testing.T, dst string, files ...string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("..", "..", f))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReproducible builds the counter example in the repository and, with
// an empty build cache, in a copy of its sources elsewhere: the bytes must
// be the same (no paths, build ids or VCS stamps in them), and Result must
// describe them.
func TestReproducible(t *testing.T) {
	ctx := context.Background()
	out1 := filepath.Join(t.TempDir(), "a.wasm")
	r1, err := Build(ctx, filepath.Join("..", "examples", "counter"), out1)
	if err != nil {
		t.Fatal(err)
	}

	// The copy: the module files and only the sources the counter needs.
	copyRoot := t.TempDir()
	files := []string{"go.mod", "go.sum", "contracts/examples/counter/counter.go"}
	sdk, err := filepath.Glob(filepath.Join("..", "sdk", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sdk {
		if !strings.HasSuffix(f, "_test.go") {
			files = append(files, filepath.Join("contracts", "sdk", filepath.Base(f)))
		}
	}
	copyFiles(t, copyRoot, files...)
	// An empty build cache, so nothing of the first build is reused.
	t.Setenv("GOCACHE", t.TempDir())
	out2 := filepath.Join(t.TempDir(), "b.wasm")
	r2, err := Build(ctx, filepath.Join(copyRoot, "contracts", "examples", "counter"), out2)
	if err != nil {
		t.Fatal(err)
	}

	b1, _ := os.ReadFile(out1)
	b2, _ := os.ReadFile(out2)
	if len(b1) == 0 || !bytes.Equal(b1, b2) {
		t.Fatalf("two builds of the same source differ: %d and %d bytes", len(b1), len(b2))
	}
	if r1.CodeHash != sha256.Sum256(b1) || r1.CodeHash != r2.CodeHash || r1.Bytes != len(b1) || r1.Path != out1 {
		t.Fatalf("results %+v and %+v do not describe %d bytes", r1, r2, len(b1))
	}
	if !strings.HasPrefix(r1.GoVersion, "go1.") {
		t.Fatalf("go version %q", r1.GoVersion)
	}
	if !bytes.HasPrefix(b1, []byte("\x00asm\x01\x00\x00\x00")) {
		t.Fatal("the output is not a WebAssembly module")
	}
}

// TestBuildErrors: the compiler's complaint comes back, named.
func TestBuildErrors(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	copyFiles(t, root, "go.mod", "go.sum")
	bad := filepath.Join(root, "broken")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(ctx, bad, filepath.Join(root, "out.wasm"))
	if !errors.Is(err, ErrBuild) || !strings.Contains(err.Error(), "undefinedThing") {
		t.Fatalf("a broken contract: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "out.wasm")); !os.IsNotExist(err) {
		t.Fatal("a failed build left an output file")
	}
	if _, err := Build(ctx, filepath.Join(root, "missing"), filepath.Join(root, "x.wasm")); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("a missing directory: %v", err)
	}
}

// TestToolchainPinned: the release contracts are built with is the one
// go.mod names, so `go test` and `plinth contract build` agree.
func TestToolchainPinned(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\ntoolchain "+Toolchain+"\n") {
		t.Fatalf("go.mod does not pin toolchain %s", Toolchain)
	}
}

// TestCommittedModules: every contract directory with a committed module
// named after it (contracts/ownership/ownership.wasm) rebuilds to the same
// bytes, so what is committed (and deployed) is what the source says.
func TestCommittedModules(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "*", "*.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, committed := range dirs {
		dir := filepath.Dir(committed)
		if filepath.Base(committed) != filepath.Base(dir)+".wasm" {
			continue
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "rebuilt.wasm")
			if _, err := Build(context.Background(), dir, out); err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(committed)
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s does not match its source: rebuild it with `plinth contract build %s -o %s` (%d bytes now, %d committed)", committed, dir, committed, len(got), len(want))
			}
		})
	}
	if n == 0 {
		t.Fatal("no committed contract modules found")
	}
}
