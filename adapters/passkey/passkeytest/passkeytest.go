// Package passkeytest helps tests that drive WebAuthn ceremonies with the
// descope/virtualwebauthn software authenticator.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/x509"
	"testing"

	"github.com/descope/virtualwebauthn"
)

// NewEC2Credential returns a software passkey credential whose public key
// coordinates are full length. virtualwebauthn encodes x and y with
// big.Int.Bytes, which drops leading zero bytes (about one key in 128),
// and a relying party rightly refuses such a COSE key, so those keys are
// skipped.
func NewEC2Credential(t testing.TB) virtualwebauthn.Credential {
	t.Helper()
	for {
		c := virtualwebauthn.NewCredential(virtualwebauthn.KeyTypeEC2)
		k, err := x509.ParsePKCS8PrivateKey(c.Key.Data)
		if err != nil {
			t.Fatal(err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			t.Fatalf("virtualwebauthn EC2 key is a %T", k)
		}
		// An uncompressed point: 0x04, then x and y of 32 bytes each.
		b, err := ek.PublicKey.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if b[1] != 0 && b[33] != 0 {
			return c
		}
	}
}
