package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/runtime/address"
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

// TestKeysImportExport: keys import reads the seed from stdin (never an
// argument), keys export prints it only with --yes-print-secret, and the
// exported seed imports under another name as the same address. Bad input
// is refused without being echoed.
func TestKeysImportExport(t *testing.T) {
	dir := t.TempDir()
	run := func(stdin string, args ...string) (stdout, stderr string, err error) {
		app := newApp()
		var out, errOut bytes.Buffer
		app.Writer, app.ErrWriter, app.Reader = &out, &errOut, strings.NewReader(stdin)
		err = app.Run(append([]string{"plinth"}, args...))
		return out.String(), errOut.String(), err
	}
	seed := bytes.Repeat([]byte{7}, 32)
	seedHex := hex.EncodeToString(seed)
	want := address.FromPublicKey(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)).String()

	t.Setenv("PLINTH_PASSPHRASE", "")
	if _, _, err := run(seedHex, "keys", "import", "--keystore", dir, "alice"); err == nil || !strings.Contains(err.Error(), "PLINTH_PASSPHRASE") {
		t.Fatalf("import without a passphrase: %v", err)
	}
	t.Setenv("PLINTH_PASSPHRASE", "correct horse")
	for _, c := range []struct{ stdin, want string }{
		{"", "no seed on stdin"},
		{"  \n", "no seed on stdin"},
		{"g" + seedHex[1:], "not hex"},
		{seedHex[:62], "31 bytes, want 32 or 64"},
		{strings.Repeat("a", 2000), "over 1024 bytes"},
	} {
		_, _, err := run(c.stdin, "keys", "import", "--keystore", dir, "alice")
		if err == nil || !strings.Contains(err.Error(), c.want) || len(c.stdin) > 8 && strings.Contains(err.Error(), c.stdin[:8]) {
			t.Errorf("import of %q: %v, want %q", c.stdin, err, c.want)
		}
	}
	if _, _, err := run(seedHex, "keys", "import", "--keystore", dir, "alice", "extra"); err == nil || !strings.Contains(err.Error(), "flags go before arguments") {
		t.Fatalf("import with two arguments: %v", err)
	}
	if _, _, err := run(seedHex, "keys", "import", "--keystore", dir, "Alice"); err == nil || !strings.Contains(err.Error(), "bad key name") {
		t.Fatalf("import under a bad name: %v", err)
	}
	out, _, err := run("\n"+seedHex+"\n", "keys", "import", "--keystore", dir, "alice")
	if err != nil || strings.TrimSpace(out) != "alice  "+want {
		t.Fatalf("keys import: %q %v", out, err)
	}
	if _, _, err := run(seedHex, "keys", "import", "--keystore", dir, "alice"); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a second alice: %v", err)
	}

	out, _, err = run("", "keys", "export", "--keystore", dir, "alice")
	if err == nil || !strings.Contains(err.Error(), "--yes-print-secret") || strings.Contains(out, seedHex) {
		t.Fatalf("export without --yes-print-secret: %q %v", out, err)
	}
	out, stderr, err := run("", "keys", "export", "--keystore", dir, "--yes-print-secret", "alice")
	if err != nil || out != seedHex+"\n" || !strings.Contains(stderr, want) {
		t.Fatalf("keys export (text): %q %q %v", out, stderr, err)
	}
	out, _, err = run("", "keys", "export", "--keystore", dir, "--yes-print-secret", "--output", "json", "alice")
	var exported map[string]string
	if err != nil || json.Unmarshal([]byte(out), &exported) != nil || exported["seed"] != seedHex || exported["address"] != want || exported["name"] != "alice" {
		t.Fatalf("keys export (json): %q %v", out, err)
	}
	out, _, err = run(exported["seed"], "keys", "import", "--keystore", dir, "--output", "json", "bob")
	var imported map[string]any
	if err != nil || json.Unmarshal([]byte(out), &imported) != nil || imported["address"] != want || imported["dev"] != false {
		t.Fatalf("import of the export: %q %v", out, err)
	}
	t.Setenv("PLINTH_PASSPHRASE", "wrong")
	if out, _, err = run("", "keys", "export", "--keystore", dir, "--yes-print-secret", "bob"); err == nil || !strings.Contains(err.Error(), "wrong passphrase") || out != "" {
		t.Fatalf("export with a wrong passphrase: %q %v", out, err)
	}
}
