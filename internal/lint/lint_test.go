// Package lint holds tests that enforce the house rules of
// docs/ARCHITECTURE.md on the whole tree, so they fail CI by themselves
// instead of relying on a reviewer.
package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/plinthchain/plinth/"

// forbiddenImports maps a top-level package to the packages it must not
// import (the layering of docs/ARCHITECTURE.md).
var forbiddenImports = map[string][]string{
	"vm":        {"state", "runtime", "node", "consensus", "hostfns"},
	"runtime":   {"node", "consensus"},
	"state":     {"runtime", "vm"},
	"hostfns":   {"node", "consensus"},
	"consensus": {"node"},
}

// deterministic lists the top-level packages that hold consensus code: no
// wall clock, no math/rand, no bare panic("...").
var deterministic = map[string]bool{"vm": true, "hostfns": true, "runtime": true, "consensus": true}

type goFile struct {
	path string // relative to the repository root
	top  string // first path element
	test bool
	ast  *ast.File
}

func repoFiles(t *testing.T) []goFile {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s", root)
	}
	var out []goFile
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		full, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		out = append(out, goFile{
			path: rel,
			top:  strings.Split(filepath.ToSlash(rel), "/")[0],
			test: strings.HasSuffix(path, "_test.go"),
			ast:  full,
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("only %d Go files found", len(out))
	}
	return out
}

func TestLayering(t *testing.T) {
	for _, f := range repoFiles(t) {
		for _, imp := range f.ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, module) {
				continue
			}
			target := strings.Split(strings.TrimPrefix(path, module), "/")[0]
			for _, bad := range forbiddenImports[f.top] {
				if target == bad {
					t.Errorf("%s imports %s: %s/ must not import %s/", f.path, path, f.top, bad)
				}
			}
		}
	}
}

func TestDeterministicPackages(t *testing.T) {
	for _, f := range repoFiles(t) {
		if !deterministic[f.top] || f.test {
			continue
		}
		for _, imp := range f.ast.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "math/rand" || path == "math/rand/v2" {
				t.Errorf("%s imports %s: consensus code takes randomness from its inputs", f.path, path)
			}
		}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				if id, ok := fn.X.(*ast.Ident); ok && id.Name == "time" && (fn.Sel.Name == "Now" || fn.Sel.Name == "Since") {
					t.Errorf("%s calls time.%s: consensus code never reads the wall clock", f.path, fn.Sel.Name)
				}
			case *ast.Ident:
				if fn.Name == "panic" && len(call.Args) == 1 {
					if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						t.Errorf("%s panics with a string literal %s: return an error or panic with a typed error", f.path, lit.Value)
					}
				}
			}
			return true
		})
	}
}
