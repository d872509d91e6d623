package wasm

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// specModules returns every .wasm file of the spec suite, or skips when the
// suite is not configured. TestSpec in vm/ fails instead of skipping.
func specModules(t testing.TB) []string {
	dir := os.Getenv("PLINTH_SPECTEST_DIR")
	if dir == "" {
		t.Skip("PLINTH_SPECTEST_DIR not set")
	}
	var files []string
	for _, v := range []string{"v1", "v2"} {
		fs, err := filepath.Glob(filepath.Join(dir, v, "*.wasm"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		t.Fatalf("no .wasm files under %s", dir)
	}
	return files
}

// TestRoundTrip decodes every spec module, checks that each instruction
// re-encodes to its original bytes (or, for a non-canonical LEB128, to bytes
// that decode to the same instruction), and that encoding a decoded module is
// stable.
func TestRoundTrip(t *testing.T) {
	var modules, bodies, instrs, noncanonical int
	var body, again Body
	for _, path := range specModules(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(b, FeaturesV2)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%s: error is not a *DecodeError: %v", path, err)
			}
			continue
		}
		modules++
		imported := int(m.NumImported(KindFunc))
		bodiesOK := true
		for i := range m.Codes {
			c := &m.Codes[i]
			if err := DecodeBody(c.Body, c.Offset, imported+i, FeaturesV2, &body); err != nil {
				bodiesOK = false
				continue
			}
			bodies++
			var enc []byte
			for k := range body.Instrs {
				in := &body.Instrs[k]
				instrs++
				orig := c.Body[in.Pos:in.End]
				got := AppendInstr(nil, in)
				if bytes.Equal(got, orig) {
					enc = append(enc, got...)
					continue
				}
				noncanonical++
				enc = append(enc, got...)
			}
			// The canonical re-encoding must decode to the same instructions.
			if err := DecodeBody(enc, 0, imported+i, FeaturesV2, &again); err != nil {
				t.Fatalf("%s func %d: re-encoded body does not decode: %v", path, imported+i, err)
			}
			if len(again.Instrs) != len(body.Instrs) {
				t.Fatalf("%s func %d: %d instructions after re-encoding, want %d", path, imported+i, len(again.Instrs), len(body.Instrs))
			}
			for k := range body.Instrs {
				a, b := body.Instrs[k], again.Instrs[k]
				if a.Op != b.Op || a.Imm != b.Imm || a.Imm2 != b.Imm2 || len(a.Labels) != len(b.Labels) {
					t.Fatalf("%s func %d instr %d: %+v re-decoded as %+v", path, imported+i, k, a, b)
				}
			}
		}
		if !bodiesOK {
			continue
		}
		enc := Encode(m)
		m2, err := Decode(enc, FeaturesV2)
		if err != nil {
			t.Fatalf("%s: re-encoded module does not decode: %v", path, err)
		}
		if enc2 := Encode(m2); !bytes.Equal(enc, enc2) {
			t.Fatalf("%s: encoding is not stable", path)
		}
	}
	t.Logf("%d modules, %d bodies, %d instructions (%d non-canonically encoded in the input)", modules, bodies, instrs, noncanonical)
	if instrs < 10000 {
		t.Fatalf("only %d instructions decoded: the corpus did not load", instrs)
	}
}

func TestDecodeErrors(t *testing.T) {
	header := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	// A module with one function of type () -> () whose body is given.
	withBody := func(body ...byte) []byte {
		b := append([]byte(nil), header...)
		b = append(b, 1, 4, 1, 0x60, 0, 0) // type section
		b = append(b, 3, 2, 1, 0)          // function section
		code := append([]byte{0}, body...) // no locals
		sec := append([]byte{1, byte(len(code))}, code...)
		b = append(b, 10, byte(len(sec)))
		return append(b, sec...)
	}
	cases := []struct {
		name string
		wasm []byte
		kind error
		want string
	}{
		{"bad magic", []byte{1, 2, 3, 4}, ErrMalformed, "section header, offset 0x0: magic header not detected"},
		{"bad version", []byte{0, 'a', 's', 'm', 2, 0, 0, 0}, ErrMalformed, "offset 0x4: unknown binary version"},
		{"section id", append(append([]byte(nil), header...), 13, 0), ErrMalformed, "malformed section id 13"},
		{"simd", withBody(0xFD, 0x0C, 0x0B), ErrFeature, "section code, function 0, offset 0x17: SIMD instruction"},
		{"atomics", withBody(0xFE, 0x00, 0x0B), ErrFeature, "threads are not accepted"},
		{"illegal opcode", withBody(0x06, 0x0B), ErrMalformed, "illegal opcode 0x06"},
		{"missing end", withBody(0x01, 0x01), ErrMalformed, "END opcode expected"},
		{"trailing bytes", withBody(0x0B, 0x01, 0x0B), ErrMalformed, "bytes after the function's end"},
		{"else without if", withBody(0x05, 0x0B), ErrMalformed, "else without a matching if"},
		{"memory.size reserved", withBody(0x3F, 0x01, 0x1A, 0x0B), ErrMalformed, "zero byte expected"},
	}
	var body Body
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.wasm, FeaturesV2)
			if err == nil {
				c := &m.Codes[0]
				err = DecodeBody(c.Body, c.Offset, 0, FeaturesV2, &body)
			}
			if err == nil {
				t.Fatal("decoded without error")
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %q is not %v", err, tc.kind)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestFeatureGate(t *testing.T) {
	// i32.extend8_s is 2.0 only.
	var body Body
	err := DecodeBody([]byte{0x41, 0x01, 0xC0, 0x1A, 0x0B}, 100, 3, FeaturesV1, &body)
	if !errors.Is(err, ErrFeature) {
		t.Fatalf("sign extension under 1.0: got %v, want ErrFeature", err)
	}
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != 102 || de.Func != 3 {
		t.Fatalf("error location: %+v", de)
	}
	if err := DecodeBody([]byte{0x41, 0x01, 0xC0, 0x1A, 0x0B}, 0, 0, FeaturesV2, &body); err != nil {
		t.Fatalf("sign extension under 2.0: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0})
	f.Add([]byte{0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0B})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, FeaturesV2)
		if err != nil {
			return
		}
		var body Body
		for i := range m.Codes {
			_ = DecodeBody(m.Codes[i].Body, m.Codes[i].Offset, i, FeaturesV2, &body)
		}
		if _, err := Decode(Encode(m), FeaturesV2); err != nil {
			t.Fatalf("re-encoded module does not decode: %v", err)
		}
	})
}
