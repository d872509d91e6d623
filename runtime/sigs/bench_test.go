package sigs

import (
	"fmt"
	"testing"
)

// BenchmarkVerify measures one verification per key type over a 32-byte
// message: what hostfns.Gas prices verify at (docs/gas.md).
func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 32)
	for _, t := range []KeyType{Ed25519, P256, Secp256k1} {
		seed := make([]byte, 32)
		seed[31] = 7 // an ECDSA scalar must be in [1, n-1]
		k, err := NewPrivateKey(t, seed)
		if err != nil {
			b.Fatal(err)
		}
		sig, err := k.Sign(msg)
		if err != nil {
			b.Fatal(err)
		}
		pub := k.Public().Bytes()
		b.Run(fmt.Sprint(t), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if err := Verify(t, pub, msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
