package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestKeysCommands: keys new, list and show on a keystore directory, in
// JSON; a second key of the same name and a missing passphrase are refused.
func TestKeysCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		app := newApp()
		var out bytes.Buffer
		app.Writer, app.ErrWriter = &out, &out
		err := app.Run(append([]string{"plinth"}, args...))
		return out.String(), err
	}
	t.Setenv("PLINTH_PASSPHRASE", "")
	if _, err := run("keys", "new", "--keystore", dir, "alice"); err == nil || !strings.Contains(err.Error(), "PLINTH_PASSPHRASE") {
		t.Fatalf("no passphrase: %v", err)
	}
	t.Setenv("PLINTH_PASSPHRASE", "correct horse")
	out, err := run("keys", "new", "--keystore", dir, "--output", "json", "alice")
	if err != nil {
		t.Fatal(err)
	}
	var made map[string]any
	if err := json.Unmarshal([]byte(out), &made); err != nil || !strings.HasPrefix(made["address"].(string), "plinth1") {
		t.Fatalf("keys new: %q %v", out, err)
	}
	if _, err := run("keys", "new", "--keystore", dir, "alice"); err == nil {
		t.Fatal("a second alice was made")
	}
	out, err = run("keys", "list", "--keystore", dir, "--output", "json")
	var list []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0]["address"] != made["address"] {
		t.Fatalf("keys list: %q %v", out, err)
	}
	if out, err = run("keys", "show", "--keystore", dir, "alice"); err != nil || !strings.Contains(out, made["address"].(string)) || strings.Contains(out, "correct horse") {
		t.Fatalf("keys show: %q %v", out, err)
	}
}
