package keycrypt

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"testing"
)

func TestSealOpenAndTamper(t *testing.T) {
	t.Parallel()
	s, err := NewSealer("0123456789abcdef0123456789abcdef", "oidc-signing-key")
	if err != nil {
		t.Fatal(err)
	}
	sealed, kid, err := s.Seal([]byte("private"), []byte("aad"))
	if err != nil || kid != "v1" || bytes.Contains(sealed, []byte("private")) {
		t.Fatalf("Seal = %x %q %v", sealed, kid, err)
	}
	if got, err := s.Open(sealed, kid, []byte("aad")); err != nil || string(got) != "private" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewSealer("another-secret-0123456789abcdef", "oidc-signing-key")
	sealed[len(sealed)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"tampered": func() ([]byte, error) { return s.Open(sealed, kid, []byte("aad")) },
		"other key": func() ([]byte, error) {
			sealed[len(sealed)-1] ^= 1
			defer func() { sealed[len(sealed)-1] ^= 1 }()
			return other.Open(sealed, kid, []byte("aad"))
		},
		"unknown kid": func() ([]byte, error) { return s.Open(sealed, "v9", []byte("aad")) },
		"too short":   func() ([]byte, error) { return s.Open([]byte{1}, kid, nil) },
	} {
		if _, err := open(); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := NewSealer("short", "x"); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestGenerateSigningKey(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256"} {
		der, jwk, kid, err := Generator{}.GenerateSigningKey(alg)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(jwk), &m); err != nil || m["kid"] != kid || m["alg"] != alg || m["d"] != "" {
			t.Errorf("%s: jwk %s", alg, jwk)
		}
	}
	if _, _, _, err := (Generator{}).GenerateSigningKey("HS256"); err == nil {
		t.Error("HS256 accepted")
	}
}
