package account

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"

	"github.com/secuird/secuird/ports"
)

// tokenBytes is the entropy of every bearer and link token: 256 bits.
const tokenBytes = 32

// newToken returns a fresh URL-safe token and the hex SHA-256 under which it
// is stored.
func newToken(r ports.Random) (token, hash string) {
	var b [tokenBytes]byte
	r.Read(b[:])
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of a token: the only form in which
// tokens are stored. A fast hash is right here: tokens carry 256 bits of
// entropy, so they cannot be brute-forced offline.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newID returns a random (version 4) UUID.
func newID(r ports.Random) string {
	var b [16]byte
	r.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
