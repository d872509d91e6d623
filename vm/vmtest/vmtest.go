// Package vmtest helps other packages test against the VM: it assembles
// WebAssembly text into modules, as net/http/httptest helps test HTTP.
// Only tests import it.
package vmtest

import "github.com/plinthchain/plinth/vm/internal/wat"

// Wat assembles a module written in WebAssembly text (the subset the VM's
// own tests use: docs in vm/internal/wat).
func Wat(src string) ([]byte, error) { return wat.Compile(src) }
