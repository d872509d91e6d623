package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/plinthchain/plinth/node/api"
	"github.com/plinthchain/plinth/node/client"
	"github.com/plinthchain/plinth/node/keystore"
	"github.com/plinthchain/plinth/runtime/address"
	"github.com/plinthchain/plinth/runtime/device"
	"github.com/plinthchain/plinth/runtime/params"
	"github.com/plinthchain/plinth/runtime/sigs"
	"github.com/plinthchain/plinth/runtime/tx"
)

// Device commands (docs/devices.md): make a device key, register it,
// sign and submit its attestations, read them back, revoke it. A device
// key file stands in for the device's secure element: for simulating a
// device, or for provisioning one.

// deviceKeyFile is the file device keygen writes (docs/devices.md,
// "Device key files"): the key type and the 32-byte seed NewPrivateKey
// takes, with the public key and the device id for reading by people
// (checked against the seed when the file is read).
type deviceKeyFile struct {
	KeyType   string `json:"key_type"`
	Seed      string `json:"seed"`
	PublicKey string `json:"public_key,omitempty"`
	Device    string `json:"device,omitempty"`
}

// maxKeyFile bounds what is read as a device key file.
const maxKeyFile = 4 << 10

// parseKeyType reads a key type by its name: ed25519, p256 or secp256k1
// (sigs.KeyType's String), in any case.
func parseKeyType(s string) (sigs.KeyType, error) {
	for _, t := range []sigs.KeyType{sigs.Ed25519, sigs.P256, sigs.Secp256k1} {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("key type %q: want ed25519, p256 or secp256k1", s)
}

// parseDeviceID reads a device id: 20 bytes in hex (40 digits, a 0x
// prefix allowed).
func parseDeviceID(s string) (device.ID, error) {
	b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"))
	if err != nil || len(b) != len(device.ID{}) {
		return device.ID{}, fmt.Errorf("device id %q: want 40 hex digits (20 bytes), as device keygen and register print", s)
	}
	return device.ID(b), nil
}

// newDeviceKey makes a random key of type t and returns its seed.
func newDeviceKey(t sigs.KeyType, random io.Reader) ([]byte, sigs.PrivateKey, error) {
	seed := make([]byte, sigs.SeedSize)
	for range 8 { // an ECDSA seed outside [1, n-1] is drawn again: p < 2^-32 each time
		if _, err := io.ReadFull(random, seed); err != nil {
			return nil, sigs.PrivateKey{}, err
		}
		k, err := sigs.NewPrivateKey(t, seed)
		if err == nil {
			return seed, k, nil
		}
	}
	return nil, sigs.PrivateKey{}, fmt.Errorf("no valid %s seed in 8 draws", t)
}

// encodeKeyFile returns a key file's bytes.
func encodeKeyFile(seed []byte, k sigs.PrivateKey) ([]byte, error) {
	id := device.NewID(k.Type(), k.Public().Bytes())
	b, err := json.MarshalIndent(deviceKeyFile{
		KeyType: k.Type().String(), Seed: hex.EncodeToString(seed),
		PublicKey: hex.EncodeToString(k.Public().Bytes()), Device: id.String(),
	}, "", "  ")
	return append(b, '\n'), err
}

// parseKeyFile reads a device key file: key_type and seed are required;
// public_key and device, if present, must be the seed's.
func parseKeyFile(data []byte) (sigs.PrivateKey, error) {
	var f deviceKeyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return sigs.PrivateKey{}, fmt.Errorf("not a device key file: %v", err)
	}
	if dec.More() {
		return sigs.PrivateKey{}, errors.New("not a device key file: data after the object")
	}
	t, err := parseKeyType(f.KeyType)
	if err != nil {
		return sigs.PrivateKey{}, err
	}
	seed, err := hex.DecodeString(f.Seed)
	defer clear(seed)
	if err != nil || len(seed) != sigs.SeedSize {
		// Not hex's own error: it would quote part of the secret.
		return sigs.PrivateKey{}, fmt.Errorf("seed: want %d bytes in hex", sigs.SeedSize)
	}
	k, err := sigs.NewPrivateKey(t, seed)
	if err != nil {
		return sigs.PrivateKey{}, err
	}
	if f.PublicKey != "" && !strings.EqualFold(f.PublicKey, hex.EncodeToString(k.Public().Bytes())) {
		return sigs.PrivateKey{}, errors.New("public_key is not the seed's: the file was altered")
	}
	if f.Device != "" && !strings.EqualFold(f.Device, device.NewID(t, k.Public().Bytes()).String()) {
		return sigs.PrivateKey{}, errors.New("device is not the seed's id: the file was altered")
	}
	return k, nil
}

// readKeyFile loads the device key in path, or the demo meter's
// well-known key for keystore.DevDeviceKeyName (usable on a dev chain
// only: callers check with devDeviceAllowed).
func readKeyFile(path string) (sigs.PrivateKey, device.ID, error) {
	if path == keystore.DevDeviceKeyName {
		k := keystore.DevDeviceKey()
		return k, device.NewID(k.Type(), k.Public().Bytes()), nil
	}
	if path == "" {
		return sigs.PrivateKey{}, device.ID{}, errors.New("--key: the device key file, as device keygen writes it")
	}
	fh, err := os.Open(path)
	if err != nil {
		return sigs.PrivateKey{}, device.ID{}, fmt.Errorf("device key: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxKeyFile+1))
	defer clear(data)
	if err != nil {
		return sigs.PrivateKey{}, device.ID{}, fmt.Errorf("device key %s: %w", path, err)
	}
	if len(data) > maxKeyFile {
		return sigs.PrivateKey{}, device.ID{}, fmt.Errorf("device key %s: over %d bytes, not a device key file", path, maxKeyFile)
	}
	k, err := parseKeyFile(data)
	if err != nil {
		return sigs.PrivateKey{}, device.ID{}, fmt.Errorf("device key %s: %w", path, err)
	}
	return k, device.NewID(k.Type(), k.Public().Bytes()), nil
}

// writeNewFile writes data to path, mode 0600, refusing to replace a
// file that exists (O_EXCL: the check and the creation are one step).
func writeNewFile(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s exists: not replacing it (it may hold a device's only key); choose another file", path)
	}
	if err != nil {
		return err
	}
	_, err = fh.Write(data)
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// defaultAttestTime is an attestation's time when --time is not given:
// this machine's clock (what a device would stamp), but not before the
// chain's latest block time + 1 (the next block's time is at least that)
// nor more than the freshness window after the latest block time, since
// the gas estimate runs the attestation at the latest block's time. On a
// chain whose blocks keep coming both bounds hold the clock's reading; on
// a chain idle for a while (a dev chain makes blocks only for
// transactions) the later bound keeps the estimate from refusing it, and
// the attestation still lands within the window of a block made up to
// twice the window after the latest.
func defaultAttestTime(now, latest, freshness uint64) uint64 {
	t := max(now, latest+1)
	if freshness > 0 && t > latest+freshness {
		t = latest + freshness
	}
	return t
}

// textOf returns b as text if it is printable UTF-8.
func textOf(b []byte) (string, bool) {
	if !utf8.Valid(b) {
		return "", false
	}
	if strings.IndexFunc(string(b), func(r rune) bool { return !unicode.IsPrint(r) && r != '\n' && r != '\t' }) >= 0 {
		return "", false
	}
	return string(b), true
}

// showBytes prints b for people: quoted text if it is text, else hex.
func showBytes(b []byte) string {
	if s, ok := textOf(b); ok {
		return fmt.Sprintf("%q", s)
	}
	return hex.EncodeToString(b)
}

// bytesArg reads a command's text argument, or hex bytes with --hex.
func bytesArg(c *cli.Context, what, arg string) ([]byte, error) {
	if !c.Bool("hex") {
		return []byte(arg), nil
	}
	b, err := hex.DecodeString(strings.TrimPrefix(arg, "0x"))
	if err != nil {
		return nil, fmt.Errorf("%s: --hex wants hex bytes: %v", what, err)
	}
	return b, nil
}

// reportWith is report for a command that prints more than the tx
// fields: v embeds s and adds its own; text follows the tx line.
func reportWith(c *cli.Context, s *sent, v any, text string) error {
	if err := emit(c, v, fmt.Sprintf("tx %s included at height %d: %s (gas %d) %s%s", s.TxHash, s.Height, s.Status, s.GasUsed, s.Message, text)); err != nil {
		return err
	}
	if s.Code != 0 {
		return cli.Exit("", 2) // included, but failed: a script can tell
	}
	return nil
}

// noArgs refuses positional arguments to a command that takes none.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags go before arguments)", c.Args().Slice())
	}
	return nil
}

// deviceView is a device as device show prints it: the API's record and
// the key type's name.
type deviceView struct {
	api.Device
	KeyTypeName string `json:"key_type_name"`
}

// attestationView is an attestation as device show prints it: the API's
// record and, when the payload is printable text, that text.
type attestationView struct {
	api.Attestation
	PayloadText string `json:"payload_text,omitempty"`
}

func viewAttestation(a api.Attestation) attestationView {
	v := attestationView{Attestation: a}
	v.PayloadText, _ = textOf(a.Payload)
	return v
}

func (a attestationView) line() string {
	return fmt.Sprintf("seq %d  time %d  kind %s  id %x  payload %s", a.Seq, a.Time, a.Kind, []byte(a.ID), showBytes(a.Payload))
}

func deviceCommand() *cli.Command {
	hexFlag := &cli.BoolFlag{Name: "hex", Usage: "the payload (attest) or metadata (register) is hex bytes, not text"}
	keyFlag := &cli.StringFlag{Name: "key", Required: true, Usage: "the device key file (device keygen writes one)"}
	kindFlag := func(usage string) cli.Flag { return &cli.StringFlag{Name: "kind", Required: true, Usage: usage} }
	return &cli.Command{
		Name:  "device",
		Usage: "devices in the field: keys, registration, attestations (docs/devices.md)",
		Description: `A device holds a key (ed25519, p256 or secp256k1) and signs attestations; its
   owner registers it from an account. A device key file stands in for the
   device's secure element, to simulate a device or to provision one.

   plinth device keygen --type p256 -o meter1.key
   plinth device register --from dev1 --key meter1.key --kind meter
   plinth device attest --from dev1 --key meter1.key --kind energy --seq 1 '42 kWh'
   plinth device show --kind energy 5f1c…
   plinth device revoke --from dev1 5f1c…`,
		Subcommands: []*cli.Command{
			{
				Name: "keygen", Usage: "make a device key and write it to a new file (mode 0600)",
				Description: `Writes {"key_type", "seed", "public_key", "device"} (docs/devices.md, "Device
   key files") to a file that must not exist, and prints the public key and the
   device id, which is the hash of the key: register it with device register.

   plinth device keygen --type p256 -o meter1.key
   plinth device keygen --type ed25519 --output json -o hotspot7.key`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "type", Required: true, Usage: "ed25519, p256 or secp256k1"},
					&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Required: true, Usage: "the key file to create (refused if it exists)"},
					outputFlag,
				},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					t, err := parseKeyType(c.String("type"))
					if err != nil {
						return err
					}
					seed, k, err := newDeviceKey(t, rand.Reader)
					if err != nil {
						return err
					}
					defer clear(seed)
					data, err := encodeKeyFile(seed, k)
					defer clear(data)
					if err != nil {
						return err
					}
					if err := writeNewFile(c.String("out"), data); err != nil {
						return err
					}
					out := struct {
						File      string `json:"file"`
						KeyType   string `json:"key_type"`
						PublicKey string `json:"public_key"`
						Device    string `json:"device"`
					}{c.String("out"), t.String(), hex.EncodeToString(k.Public().Bytes()), device.NewID(t, k.Public().Bytes()).String()}
					return emit(c, out, fmt.Sprintf("device %s  %s key %s  written to %s", out.Device, out.KeyType, out.PublicKey, out.File))
				},
			},
			{
				Name: "register", Usage: "register a device's key (a transaction; the owner is --from)",
				Description: `Registers the public key in the key file under --kind, with --metadata
   (text, or hex with --hex; at most 4 KiB). The chain takes the device deposit
   from --from, the owner, and returns it on revoke. Prints the device id.

   plinth device register --from dev1 --key meter1.key --kind meter --metadata 'site 12, panel B'`,
				Flags: txFlags(keyFlag, kindFlag("what the device is: meter, hotspot, … (at most 64 bytes)"), hexFlag,
					&cli.StringFlag{Name: "metadata", Usage: "opaque bytes for the registry: text, or hex with --hex"}),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					k, id, err := readKeyFile(c.String("key"))
					if err != nil {
						return err
					}
					meta, err := bytesArg(c, "--metadata", c.String("metadata"))
					if err != nil {
						return err
					}
					s, err := send(c, tx.DeviceRegister{KeyType: uint64(k.Type()), PublicKey: k.Public().Bytes(), DeviceKind: c.String("kind"), Metadata: meta})
					if err != nil {
						return err
					}
					out := struct {
						*sent
						Device string `json:"device"`
					}{s, id.String()}
					return reportWith(c, s, out, "\ndevice "+out.Device)
				},
			},
			{
				Name: "attest", Usage: "sign an attestation with the device key and submit it (a transaction from --from)", ArgsUsage: "PAYLOAD",
				Description: `Builds the attestation [chain id, device, seq, time, kind, payload] for the
   node's chain, signs it with the device key and sends it in an Attest
   transaction from --from (anyone may carry a device's attestation).
   PAYLOAD is text, or hex with --hex; meters should attest cumulative readings.

   --time defaults to this machine's clock in ms, kept between the chain's
   latest block time + 1 and that time + 10 minutes: the chain accepts times
   within 10 minutes (AttestationFreshness) of the including block's, and
   the gas estimate runs at the latest block's time.
   Each --seq is accepted once per device (docs/devices.md, "The anti-replay window").

   plinth device attest --from dev1 --key meter1.key --kind energy --seq 7 '{"kwh": 1042}'
   plinth device attest --from dev1 --key meter1.key --kind energy --seq 8 --hex 00ff10`,
				Flags: txFlags(keyFlag, kindFlag("the attestation's kind: energy, coverage, … (at most 64 bytes)"), hexFlag,
					&cli.Uint64Flag{Name: "seq", Required: true, Usage: "the device's sequence number for this attestation"},
					&cli.Uint64Flag{Name: "time", DefaultText: "this machine's clock, see above", Usage: "when the device made the statement, ms since the Unix epoch"}),
				Action: func(c *cli.Context) error {
					arg, err := oneArg(c, "PAYLOAD (text, or hex with --hex; '' for none)")
					if err != nil {
						return err
					}
					payload, err := bytesArg(c, "PAYLOAD", arg)
					if err != nil {
						return err
					}
					k, id, err := readKeyFile(c.String("key"))
					if err != nil {
						return err
					}
					st, err := client.New(c.String("node")).Status(c.Context)
					if err != nil {
						return err
					}
					if c.String("key") == keystore.DevDeviceKeyName && !st.Dev {
						return fmt.Errorf("--key %s: the demo meter's well-known key signs only on a dev chain", keystore.DevDeviceKeyName)
					}
					at := c.Uint64("time")
					if !c.IsSet("time") {
						at = defaultAttestTime(uint64(time.Now().UnixMilli()), st.Time, params.Version1().AttestationFreshness)
					}
					a := &device.Attestation{ChainID: st.ChainID, Device: id, Seq: c.Uint64("seq"), Time: at, Kind: c.String("kind"), Payload: payload}
					raw, err := device.Sign(a, k)
					if err != nil {
						return err
					}
					aid, err := a.ID()
					if err != nil {
						return err
					}
					s, err := send(c, tx.Attest{Attestation: raw})
					if err != nil {
						return err
					}
					out := struct {
						*sent
						Attestation string `json:"attestation"`
						Device      string `json:"device"`
						Seq         uint64 `json:"seq"`
						Time        uint64 `json:"time"`
					}{s, hex.EncodeToString(aid[:]), id.String(), a.Seq, a.Time}
					return reportWith(c, s, out, fmt.Sprintf("\nattestation %s  device %s  seq %d  time %d", out.Attestation, out.Device, out.Seq, out.Time))
				},
			},
			{
				Name: "show", Usage: "a device, with its latest attestation of a kind or its history", ArgsUsage: "DEVICE_ID",
				Description: `Prints the device's record; with --kind also its latest attestation of that
   kind (the highest seq), with --history its kept history (the 256 highest seqs),
   ascending by seq. JSON: {"device": {…}} plus "latest": {…} or "history": […];
   payloads are hex, with "payload_text" when they are printable text.

   plinth device show 5f1c…
   plinth device show --kind energy 5f1c…
   plinth device show --history --from-seq 100 --limit 10 5f1c…`,
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "kind", Usage: "also show the latest attestation of this kind"},
					&cli.BoolFlag{Name: "history", Usage: "also show the kept history of attestations"},
					&cli.Uint64Flag{Name: "from-seq", Usage: "history: from this seq on"},
					&cli.Uint64Flag{Name: "to-seq", Value: ^uint64(0), DefaultText: "no bound", Usage: "history: up to this seq"},
					&cli.IntFlag{Name: "limit", Value: client.MaxHistory, Usage: "history: at most this many (1 to 256)"},
				}, clientFlags...),
				Action: func(c *cli.Context) error {
					arg, err := oneArg(c, "DEVICE_ID")
					if err != nil {
						return err
					}
					id, err := parseDeviceID(arg)
					if err != nil {
						return err
					}
					history := c.Bool("history")
					if history && c.IsSet("kind") {
						return errors.New("--kind and --history: give one (the latest of a kind, or the history)")
					}
					if !history && (c.IsSet("from-seq") || c.IsSet("to-seq") || c.IsSet("limit")) {
						return errors.New("--from-seq, --to-seq and --limit go with --history")
					}
					if l := c.Int("limit"); l < 1 || l > client.MaxHistory {
						return fmt.Errorf("--limit %d: 1 to %d", l, client.MaxHistory)
					}
					cl := client.New(c.String("node"))
					d, err := cl.Device(c.Context, id)
					if errors.Is(err, client.ErrNotFound) {
						return fmt.Errorf("device %s is not registered on this chain", id)
					}
					if err != nil {
						return err
					}
					out := struct {
						Device  deviceView         `json:"device"`
						Latest  *attestationView   `json:"latest,omitempty"`
						History *[]attestationView `json:"history,omitempty"`
					}{Device: deviceView{d, sigs.KeyType(d.KeyType).String()}}
					var text strings.Builder
					fmt.Fprintf(&text, "device %x  kind %s  owner %s  %s key %x  deposit %s", []byte(d.ID), d.Kind, d.Owner, out.Device.KeyTypeName, []byte(d.PublicKey), d.Deposit)
					if d.Revoked {
						text.WriteString("  REVOKED")
					}
					if len(d.Metadata) > 0 {
						fmt.Fprintf(&text, "\nmetadata %s", showBytes(d.Metadata))
					}
					switch {
					case c.IsSet("kind"):
						a, err := cl.LatestAttestation(c.Context, id, c.String("kind"))
						if errors.Is(err, client.ErrNotFound) {
							return fmt.Errorf("device %s has no attestation of kind %q", id, c.String("kind"))
						}
						if err != nil {
							return err
						}
						v := viewAttestation(a)
						out.Latest = &v
						fmt.Fprintf(&text, "\nlatest %s", v.line())
					case history:
						as, err := cl.Attestations(c.Context, id, c.Uint64("from-seq"), c.Uint64("to-seq"), c.Int("limit"))
						if err != nil {
							return err
						}
						vs := make([]attestationView, 0, len(as))
						for _, a := range as {
							vs = append(vs, viewAttestation(a))
							fmt.Fprintf(&text, "\n%s", vs[len(vs)-1].line())
						}
						out.History = &vs
						if len(vs) == 0 {
							text.WriteString("\nno attestations in the history")
						}
					}
					return emit(c, out, text.String())
				},
			},
			{
				Name: "revoke", Usage: "revoke a device, for good (its owner only; a transaction)", ArgsUsage: "DEVICE_ID",
				Description: `Marks the device revoked: its attestations are refused from now on, the
   stored ones stay readable, its key can never be registered again, and the
   deposit returns to the owner.

   plinth device revoke --from dev1 5f1c…`,
				Flags: txFlags(),
				Action: func(c *cli.Context) error {
					arg, err := oneArg(c, "DEVICE_ID")
					if err != nil {
						return err
					}
					id, err := parseDeviceID(arg)
					if err != nil {
						return err
					}
					s, err := send(c, tx.DeviceRevoke{Device: address.Address(id)})
					if err != nil {
						return err
					}
					out := struct {
						*sent
						Device string `json:"device"`
					}{s, id.String()}
					return reportWith(c, s, out, "\ndevice "+out.Device)
				},
			},
		},
	}
}
