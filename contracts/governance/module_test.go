//go:build !wasip1

package main

import (
	"os"
	"testing"
)

// readModule is the committed build (contracts/build's test keeps it
// equal to the source).
func readModule(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("governance.wasm")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
