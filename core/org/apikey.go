package org

import (
	"strings"
	"time"
)

// APIKeyPrefix starts every API key, so that a leaked key is recognisable
// (by people and by secret scanners).
const APIKeyPrefix = "sk_secuird_" //nolint:gosec // a public prefix, not a credential

// APIKeySecretLen is the length of the random part: 32 bytes (256 bits)
// in unpadded base64url.
const APIKeySecretLen = 43

// APIKeyLen is the full length of an API key.
const APIKeyLen = len(APIKeyPrefix) + APIKeySecretLen

// LooksLikeAPIKey reports whether a bearer value is shaped like an API key
// (prefix, length and alphabet). It says nothing about validity.
func LooksLikeAPIKey(s string) bool {
	rest, ok := strings.CutPrefix(s, APIKeyPrefix)
	if !ok || len(rest) != APIKeySecretLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// APIKeyHintLen is how many characters of a key are kept in clear (the
// prefix plus the first characters of the secret), so that owners can tell
// keys apart in listings.
const APIKeyHintLen = len(APIKeyPrefix) + 6

// APIKey is an organization's machine credential. The key is shown once;
// only its SHA-256 is stored.
type APIKey struct {
	ID           string
	OrgID        string
	Name         string
	Description  string
	Hint         string // the key's first APIKeyHintLen characters
	KeyHash      string // hex SHA-256 of the key
	CreatedByID  string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastUsedAt   *time.Time
	RevokedAt    *time.Time
	RevokeReason string
}

// Revoked reports whether the key was revoked.
func (k APIKey) Revoked() bool { return k.RevokedAt != nil }
