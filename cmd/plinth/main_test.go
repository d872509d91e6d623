package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDevPrintsVersion(t *testing.T) {
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	if err := app.Run([]string{"plinth", "dev"}); err != nil {
		t.Fatalf("plinth dev: %v", err)
	}
	if !strings.Contains(out.String(), "plinth "+version) {
		t.Fatalf("plinth dev output lacks the version:\n%s", out.String())
	}
}
