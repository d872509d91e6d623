package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/sigs"
)

// cliRun is one run of the binary: what it printed and its exit code.
type cliRun struct {
	stdout, stderr string
	code           int
}

// json decodes the one JSON object the run printed.
func (r cliRun) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("not one JSON object: %q (stderr %q)", r.stdout, r.stderr)
	}
	return v
}

// runPlinth runs the binary with env added to the test's environment and
// stdin as its standard input.
func runPlinth(t *testing.T, bin string, env []string, stdin string, args ...string) cliRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	r := cliRun{stdout: out.String(), stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("plinth %v: %v", args, err)
	}
	return r
}

// TestDeviceCommandsEndToEnd runs the real binary: keys import and export
// round trip through stdin and PLINTH_PASSPHRASE; then, on a dev chain, a
// p256 device key is made, registered from an imported key, attests, is
// read back, refuses a replay (at the estimate, and in a block with --gas),
// and once revoked refuses new attestations.
func TestDeviceCommandsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	ks := t.TempDir()
	pass := []string{"PLINTH_PASSPHRASE=correct horse"}

	// keys import / export, no node needed.
	seed := make([]byte, 32)
	rand.Read(seed)
	want := address.FromPublicKey(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)).String()
	r := runPlinth(t, bin, pass, hex.EncodeToString(seed)+"\n", "keys", "import", "--keystore", ks, "--output", "json", "alice")
	if r.code != 0 || r.json(t)["address"] != want || r.json(t)["name"] != "alice" {
		t.Fatalf("keys import: %+v, want address %s", r, want)
	}
	r = runPlinth(t, bin, pass, "", "keys", "export", "--keystore", ks, "alice")
	if r.code != 1 || !strings.Contains(r.stderr, "give --yes-print-secret to print it") || r.stdout != "" || strings.Contains(r.stderr, hex.EncodeToString(seed)) {
		t.Fatalf("keys export without --yes-print-secret: %+v", r)
	}
	r = runPlinth(t, bin, []string{"PLINTH_PASSPHRASE=wrong"}, "", "keys", "export", "--keystore", ks, "--yes-print-secret", "alice")
	if r.code != 1 || !strings.Contains(r.stderr, "wrong passphrase") || r.stdout != "" {
		t.Fatalf("keys export with a wrong passphrase: %+v", r)
	}
	r = runPlinth(t, bin, pass, "", "keys", "export", "--keystore", ks, "--yes-print-secret", "--output", "json", "alice")
	exported := r.json(t)
	if r.code != 0 || exported["seed"] != hex.EncodeToString(seed) || exported["address"] != want || exported["name"] != "alice" || len(exported) != 3 {
		t.Fatalf("keys export: %+v", r)
	}
	r = runPlinth(t, bin, pass, exported["seed"].(string), "keys", "import", "--keystore", ks, "--output", "json", "alice-copy")
	if r.code != 0 || r.json(t)["address"] != want {
		t.Fatalf("import of the exported seed: %+v, want address %s", r, want)
	}
	if r = runPlinth(t, bin, pass, "not a seed", "keys", "import", "--keystore", ks, "bad"); r.code != 1 || !strings.Contains(r.stderr, "bad key material: not hex") || strings.Contains(r.stderr, "not a seed") {
		t.Fatalf("import of a bad seed: %+v", r)
	}
	// dev7's well-known seed under another name: it signs the device
	// transactions below through the keystore.
	dev7 := keystore.DevKeys(8)[7]
	r = runPlinth(t, bin, pass, keystore.FormatSeed(dev7.Seed()), "keys", "import", "--keystore", ks, "--output", "json", "operator")
	if op := r.json(t); r.code != 0 || op["dev"] != true || op["address"] != address.FromPublicKey(dev7.Public().(ed25519.PublicKey)).String() {
		t.Fatalf("import of dev7's seed: %+v", r)
	}

	d := startDev(t, bin, t.TempDir(), freeAddr(t))
	// run: the command path, then the flags, then the positional
	// arguments (urfave/cli stops reading flags at the first argument).
	run := func(path []string, args ...string) cliRun {
		t.Helper()
		all := append(append(append([]string(nil), path...), "--node", d.api, "--output", "json"), args...)
		return runPlinth(t, bin, pass, "", all...)
	}
	// send runs a transaction command, whose --from may name a key of ks.
	send := func(path []string, args ...string) cliRun {
		t.Helper()
		return run(path, append([]string{"--keystore", ks}, args...)...)
	}

	keyFile := filepath.Join(t.TempDir(), "meter.key")
	r = runPlinth(t, bin, nil, "", "device", "keygen", "--type", "p256", "--output", "json", "-o", keyFile)
	made := r.json(t)
	if r.code != 0 || made["key_type"] != "p256" || len(made["public_key"].(string)) != 66 || len(made["device"].(string)) != 40 {
		t.Fatalf("device keygen: %+v", r)
	}
	pub, _ := hex.DecodeString(made["public_key"].(string))
	if id := device.NewID(sigs.P256, pub); made["device"] != id.String() {
		t.Fatalf("device keygen printed device %v, the key's id is %s", made["device"], id)
	}
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	before, _ := os.ReadFile(keyFile)
	if r = runPlinth(t, bin, nil, "", "device", "keygen", "--type", "ed25519", "-o", keyFile); r.code != 1 || !strings.Contains(r.stderr, "exists: not replacing it") {
		t.Fatalf("keygen over an existing file: %+v", r)
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
		t.Fatal("keygen changed an existing key file")
	}
	devID := made["device"].(string)

	r = send([]string{"device", "register"}, "--from", "operator", "--key", keyFile, "--kind", "meter", "--metadata", "site 12")
	if reg := r.json(t); r.code != 0 || reg["status"] != "ok" || reg["device"] != devID || len(reg["tx_hash"].(string)) != 64 {
		t.Fatalf("device register: %+v", r)
	}
	r = send([]string{"device", "attest"}, "--from", "operator", "--key", keyFile, "--kind", "energy", "--seq", "1", "42 kWh")
	att := r.json(t)
	if r.code != 0 || att["status"] != "ok" || len(att["attestation"].(string)) != 64 || att["device"] != devID || att["seq"] != float64(1) {
		t.Fatalf("device attest: %+v", r)
	}
	r = run([]string{"device", "show"}, "--kind", "energy", devID)
	shown := r.json(t)
	if r.code != 0 {
		t.Fatalf("device show --kind: %+v", r)
	}
	dev, latest := shown["device"].(map[string]any), shown["latest"].(map[string]any)
	if dev["kind"] != "meter" || dev["key_type_name"] != "p256" || dev["revoked"] != false || dev["metadata"] != hex.EncodeToString([]byte("site 12")) {
		t.Fatalf("device show: device %v", dev)
	}
	if latest["payload_text"] != "42 kWh" || latest["payload"] != hex.EncodeToString([]byte("42 kWh")) || latest["id"] != att["attestation"] || latest["seq"] != float64(1) {
		t.Fatalf("device show: latest %v, attested %v", latest, att)
	}
	// A replay of seq 1 (another payload, so another attestation): the
	// gas estimate simulates it, sees it fail, and sends nothing (exit 1);
	// sent anyway with --gas it is included and fails (exit 2).
	r = send([]string{"device", "attest"}, "--from", "operator", "--key", keyFile, "--kind", "energy", "--seq", "1", "43 kWh")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "estimate gas: the transaction would fail (attestation replayed") || !strings.Contains(r.stderr, "so it was not sent") {
		t.Fatalf("a replayed seq: %+v", r)
	}
	r = send([]string{"device", "attest"}, "--from", "operator", "--key", keyFile, "--kind", "energy", "--seq", "1", "--gas", "2000000", "43 kWh")
	if failed := r.json(t); r.code != 2 || failed["code"] != float64(28) || failed["status"] != "attestation replayed" || failed["height"].(float64) < 1 {
		t.Fatalf("a replayed seq sent with --gas: %+v", r)
	}
	r = run([]string{"device", "show"}, "--history", devID)
	hist, _ := r.json(t)["history"].([]any)
	if r.code != 0 || len(hist) != 1 || hist[0].(map[string]any)["seq"] != float64(1) || hist[0].(map[string]any)["payload_text"] != "42 kWh" {
		t.Fatalf("device show --history: %+v", r)
	}
	// dev7 is the account operator holds: the owner.
	if r = send([]string{"device", "revoke"}, "--from", "dev7", devID); r.code != 0 || r.json(t)["status"] != "ok" || r.json(t)["device"] != devID {
		t.Fatalf("device revoke: %+v", r)
	}
	if r = run([]string{"device", "show"}, devID); r.code != 0 || r.json(t)["device"].(map[string]any)["revoked"] != true {
		t.Fatalf("device show after revoke: %+v", r)
	}
	r = send([]string{"device", "attest"}, "--from", "operator", "--key", keyFile, "--kind", "energy", "--seq", "2", "44 kWh")
	if r.code != 1 || !strings.Contains(r.stderr, "would fail (device revoked") {
		t.Fatalf("an attestation after revoke: %+v", r)
	}
	if r = run([]string{"device", "show"}, "--kind", "nothing", devID); r.code != 1 || !strings.Contains(r.stderr, `has no attestation of kind "nothing"`) {
		t.Fatalf("device show of a kind never attested: %+v", r)
	}
	if r = run([]string{"device", "show"}, strings.Repeat("00", 20)); r.code != 1 || !strings.Contains(r.stderr, "is not registered on this chain") {
		t.Fatalf("device show of an unknown id: %+v", r)
	}
}

// TestDeviceParsing covers the device commands' helpers: key types, ids,
// key files, the default attestation time.
func TestDeviceParsing(t *testing.T) {
	for s, want := range map[string]sigs.KeyType{"ed25519": sigs.Ed25519, "p256": sigs.P256, "P256": sigs.P256, "secp256k1": sigs.Secp256k1} {
		if got, err := parseKeyType(s); err != nil || got != want {
			t.Errorf("parseKeyType(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "rsa", "p-384", "ed25519 "} {
		if _, err := parseKeyType(s); err == nil || !strings.Contains(err.Error(), "want ed25519, p256 or secp256k1") {
			t.Errorf("parseKeyType(%q): %v", s, err)
		}
	}

	id := device.ID{0xab, 1, 2, 3, 19: 0xff}
	for _, s := range []string{id.String(), "0x" + id.String(), strings.ToUpper(id.String())} {
		if got, err := parseDeviceID(s); err != nil || got != id {
			t.Errorf("parseDeviceID(%q) = %v, %v", s, got, err)
		}
	}
	for _, s := range []string{"", id.String()[:38], id.String() + "00", "zz" + id.String()[2:], "plinth1qqqq"} {
		if _, err := parseDeviceID(s); err == nil || !strings.Contains(err.Error(), "want 40 hex digits") {
			t.Errorf("parseDeviceID(%q): %v", s, err)
		}
	}

	// Key files: each type round-trips; the public part is checked
	// against the seed; errors never quote the seed.
	for _, typ := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
		seed, k, err := newDeviceKey(typ, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		data, err := encodeKeyFile(seed, k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseKeyFile(data)
		if err != nil || got.Type() != typ || !bytes.Equal(got.Public().Bytes(), k.Public().Bytes()) {
			t.Fatalf("%s key file: %v %v\n%s", typ, got, err, data)
		}
		var f map[string]string
		if err := json.Unmarshal(data, &f); err != nil || f["key_type"] != typ.String() || f["device"] != device.NewID(typ, k.Public().Bytes()).String() {
			t.Fatalf("%s key file: %s", typ, data)
		}
	}
	seedHex := strings.Repeat("11", 32)
	cases := map[string]string{
		`{"key_type":"p256","seed":"` + seedHex + `"}`:                                  "",
		`{"key_type":"p256","seed":"` + seedHex + `","public_key":"02` + seedHex + `"}`: "public_key is not the seed's",
		`{"key_type":"p256","seed":"` + seedHex + `","device":"` + id.String() + `"}`:   "device is not the seed's id",
		`{"key_type":"p256","seed":"` + seedHex + `","extra":1}`:                        "not a device key file",
		`{"key_type":"p256","seed":"` + seedHex + `"} {}`:                               "data after the object",
		`{"key_type":"rsa","seed":"` + seedHex + `"}`:                                   "key type",
		`{"key_type":"p256","seed":"` + seedHex[:62] + `zz"}`:                           "seed: want 32 bytes in hex",
		`{"key_type":"p256","seed":"` + seedHex + `00"}`:                                "seed: want 32 bytes in hex",
		`{"key_type":"secp256k1","seed":"` + strings.Repeat("00", 32) + `"}`:            "secp256k1 seed not in [1, n-1]",
	}
	for in, want := range cases {
		_, err := parseKeyFile([]byte(in))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("parseKeyFile(%s): %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), seedHex[:16]) {
			t.Errorf("parseKeyFile(%s): the error quotes the seed: %v", in, err)
		}
	}

	path := filepath.Join(t.TempDir(), "k")
	if err := writeNewFile(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := writeNewFile(path, []byte("two")); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("writeNewFile over a file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "one" {
		t.Fatalf("the file holds %q", b)
	}

	const latest, window = 1_000_000, 600_000
	for _, c := range []struct{ now, want uint64 }{
		{latest + 5_000, latest + 5_000},     // the clock, when the chain is recent
		{latest - 3_000, latest + 1},         // never before the next block's earliest time
		{latest, latest + 1},                 // …
		{latest + window, latest + window},   // the edge of the window at the estimate
		{latest + 3*window, latest + window}, // an idle chain: within the estimate's window
	} {
		if got := defaultAttestTime(c.now, latest, window); got != c.want {
			t.Errorf("defaultAttestTime(%d, %d, %d) = %d, want %d", c.now, latest, window, got, c.want)
		}
	}

	for in, want := range map[string]bool{"42 kWh": true, "a\nb\tc": true, "": true, "\x00\x01": false, "\xff": false} {
		if _, ok := textOf([]byte(in)); ok != want {
			t.Errorf("textOf(%q) = %v", in, ok)
		}
	}
}
