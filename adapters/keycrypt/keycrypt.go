// Package keycrypt seals secrets at rest and makes signing key pairs with
// the standard library: AES-256-GCM under a key derived from
// ENCRYPTION_KEY with HKDF-SHA256 (one derived key per purpose label and
// version), and RSA-2048 or ECDSA P-256 keys with RFC 7638 thumbprints as
// key IDs.
package keycrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"math/big"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/ports"
)

var (
	_ ports.Sealer       = (*Sealer)(nil)
	_ ports.KeyGenerator = Generator{}
)

// Sealer is a ports.Sealer. The current version seals; every version it
// knows opens, so ENCRYPTION_KEY can be rotated by adding the new key as
// a new version and re-sealing.
type Sealer struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewSealer derives the sealing key for purpose (e.g. "oidc-signing-key")
// from secret (ENCRYPTION_KEY). Versions other than "v1" can be added with
// AddVersion.
func NewSealer(secret, purpose string) (*Sealer, error) {
	s := &Sealer{aeads: map[string]cipher.AEAD{}}
	if err := s.AddVersion("v1", secret, purpose); err != nil {
		return nil, err
	}
	s.current = "v1"
	return s, nil
}

// AddVersion makes a sealer for another secret known under version id and
// makes it the current one.
func (s *Sealer) AddVersion(id, secret, purpose string) error {
	const op = "keycrypt.AddVersion"
	if len(secret) < 16 {
		return fault.E(op, fault.Invalid, "The encryption key is too short")
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), []byte("secuird"), "secuird/"+purpose+"/"+id, 32)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	s.aeads[id] = aead
	s.current = id
	return nil
}

// Seal encrypts plain bound to aad: nonce || ciphertext.
func (s *Sealer) Seal(plain, aad []byte) ([]byte, string, error) {
	aead := s.aeads[s.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", fault.Wrap("keycrypt.Seal", fault.Internal, err)
	}
	return aead.Seal(nonce, nonce, plain, aad), s.current, nil
}

// Open decrypts what Seal returned. Internal when it does not authenticate.
func (s *Sealer) Open(sealed []byte, keyID string, aad []byte) ([]byte, error) {
	const op = "keycrypt.Open"
	aead, ok := s.aeads[keyID]
	if !ok {
		return nil, fault.Internalf(op, "unknown sealing key version %q", keyID)
	}
	if len(sealed) < aead.NonceSize() {
		return nil, fault.Internalf(op, "sealed value too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad)
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	return plain, nil
}

// Generator is a ports.KeyGenerator.
type Generator struct{}

// GenerateSigningKey makes an RS256 (RSA-2048) or ES256 (P-256) key.
func (Generator) GenerateSigningKey(alg string) ([]byte, string, string, error) {
	const op = "keycrypt.GenerateSigningKey"
	var (
		priv any
		jwk  map[string]string
	)
	switch alg {
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, "", "", fault.Wrap(op, fault.Internal, err)
		}
		priv = k
		jwk = map[string]string{"kty": "RSA", "n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", "", fault.Wrap(op, fault.Internal, err)
		}
		priv = k
		pub, err := k.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			return nil, "", "", fault.Wrap(op, fault.Internal, err)
		}
		jwk = map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pub[1:33]), "y": b64(pub[33:])}
	default:
		return nil, "", "", fault.E(op, fault.Invalid, "Unsupported algorithm")
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, "", "", fault.Wrap(op, fault.Internal, err)
	}
	kid := thumbprint(jwk)
	jwk["kid"], jwk["alg"], jwk["use"] = kid, alg, "sig"
	js, err := json.Marshal(jwk)
	if err != nil {
		return nil, "", "", fault.Wrap(op, fault.Internal, err)
	}
	return der, string(js), kid, nil
}

// thumbprint is the RFC 7638 JWK thumbprint (SHA-256, base64url): the
// required members in lexical order. json.Marshal sorts map keys.
func thumbprint(jwk map[string]string) string {
	req := map[string]string{}
	for _, k := range []string{"crv", "e", "kty", "n", "x", "y"} {
		if v, ok := jwk[k]; ok {
			req[k] = v
		}
	}
	b, _ := json.Marshal(req)
	sum := sha256.Sum256(b)
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
