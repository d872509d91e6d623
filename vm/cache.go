package vm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// artifact is what Deploy produces before compiling: the final module bytes
// (instrumented and, where possible, pre-initialized) and what a call needs
// to know about them. With Config.CacheDir it is kept on disk, so a
// restarted process skips validation, instrumentation and pre-initialization,
// and wazero's own cache skips compilation.
type artifact struct {
	Bin       []byte
	HasStart  bool // the start function is exported as __plinth_start
	HasInit   bool // the module exports _initialize
	Preinit   bool // start and _initialize ran at deploy and are baked into Bin
	Poolable  bool // instances can be reset from a memory-and-globals snapshot
	HasMemory bool
	// DeployGas is what deploying the code costs under the Params.
	DeployGas uint64
	// GlobalNames are the exports of the module-defined mutable globals.
	GlobalNames []string
}

// cacheKey names an artifact: the code, every parameter the rewrite
// depends on (Params.Version covers the algorithm itself) and the host
// functions imports were checked against, so a cached module is never
// loaded by an engine whose host ABI it was not checked for.
func (e *Engine) cacheKey(code [32]byte, p *Params) string {
	h := sha256.New()
	h.Write(code[:])
	fmt.Fprintf(h, "%+v", *p)
	h.Write(e.hostDigest[:])
	return hex.EncodeToString(h.Sum(nil))
}

func (e *Engine) artifactPath(key string) string {
	return filepath.Join(e.cfg.CacheDir, "prepared", key+".json")
}

// loadArtifact reads a cached artifact; any problem is a miss.
func (e *Engine) loadArtifact(key string) (*artifact, bool) {
	if e.cfg.CacheDir == "" {
		return nil, false
	}
	b, err := os.ReadFile(e.artifactPath(key))
	if err != nil {
		return nil, false
	}
	var art artifact
	if err := json.Unmarshal(b, &art); err != nil || len(art.Bin) == 0 {
		return nil, false
	}
	return &art, true
}

// storeArtifact writes an artifact atomically (temporary file, rename). A
// failure only costs a later recompilation, so it is not reported.
func (e *Engine) storeArtifact(key string, art *artifact) {
	if e.cfg.CacheDir == "" {
		return
	}
	b, err := json.Marshal(art)
	if err != nil {
		return
	}
	path := e.artifactPath(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		_ = os.Remove(tmp.Name())
	}
}
