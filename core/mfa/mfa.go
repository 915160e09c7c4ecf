// Package mfa holds the entities and pure rules of strong authentication:
// TOTP methods and backup codes, passkey (WebAuthn) credentials,
// organization MFA policies with per-user overrides, compliance records
// and their transitions (SEED-SPEC 9). Nothing here does I/O; time comes
// in as an argument, so every rule is tested exactly.
package mfa

import (
	"crypto/subtle"
	"strings"
	"time"
)

// Factor names a way a user proved who they are; the values are the
// RFC 8176 `amr` values the OpenID Provider puts into ID tokens.
type Factor string

// The factors.
const (
	FactorPassword Factor = "pwd" // a password
	FactorOTP      Factor = "otp" // a TOTP code or a backup code
	FactorHWK      Factor = "hwk" // a passkey (proof of possession of a hardware-bound key)
	FactorSWK      Factor = "swk" // a synced passkey (software-bound key)
	FactorMFA      Factor = "mfa" // added when two or more independent factors were used
)

// AMR returns the `amr` list for the factors used: each once, in order,
// plus "mfa" when two different factors were used or a passkey verified
// the user (possession plus a PIN or biometric).
func AMR(factors []Factor, userVerified bool) []string {
	seen := map[Factor]bool{}
	var out []string
	for _, f := range factors {
		if f == FactorMFA || seen[f] {
			continue
		}
		seen[f] = true
		out = append(out, string(f))
	}
	if len(out) >= 2 || (userVerified && (seen[FactorHWK] || seen[FactorSWK])) {
		out = append(out, string(FactorMFA))
	}
	return out
}

// TOTP parameters (SEED-SPEC 9.1): 20-byte secret, SHA-1, 6 digits, 30 s,
// one step either side of the server's clock.
const (
	TOTPPeriod  = 30 * time.Second
	TOTPDigits  = 6
	TOTPSkew    = 1
	BackupCodes = 10
)

// TOTP is a user's authenticator-app method. The secret is stored sealed
// (encrypted with a key derived from ENCRYPTION_KEY); only the use case
// that verifies a code ever opens it.
type TOTP struct {
	UserID string
	// SealedSecret is the encrypted base32 secret; SealKeyID names the
	// sealing key version.
	SealedSecret []byte
	SealKeyID    string
	// VerifiedAt is nil until the user proved the enrolment with a code.
	VerifiedAt *time.Time
	// LastStep is the last accepted time step (unix time / 30 s): a code of
	// this or an earlier step is refused, so every code works once.
	LastStep  int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Verified reports whether the enrolment was confirmed.
func (t TOTP) Verified() bool { return t.VerifiedAt != nil }

// Step returns the TOTP time step of t.
func Step(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// StepTime returns the start of a time step.
func StepTime(step int64) time.Time {
	return time.Unix(step*int64(TOTPPeriod/time.Second), 0).UTC()
}

// NormalizeCode strips spaces and dashes a user may type around a code.
func NormalizeCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// ValidTOTPCode reports whether s looks like a TOTP code (6 digits).
func ValidTOTPCode(s string) bool {
	if len(s) != TOTPDigits {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// EqualCodes compares two codes in constant time.
func EqualCodes(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// BackupCodeLen is the length of a backup code: 16 upper-case hex
// characters (64 bits).
const BackupCodeLen = 16

// NormalizeBackupCode upper-cases a typed backup code and drops spaces
// and dashes; ok is false when it is not 16 hex characters.
func NormalizeBackupCode(s string) (code string, ok bool) {
	s = strings.ToUpper(NormalizeCode(s))
	if len(s) != BackupCodeLen {
		return "", false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return "", false
		}
	}
	return s, true
}

// Passkey is one WebAuthn credential of a user. Record is the WebAuthn
// adapter's complete credential record (opaque to the core); the other
// fields are what listings, lookups and policies need.
type Passkey struct {
	ID     string // our handle, shown in the API
	UserID string
	// CredentialID is the authenticator's credential ID (raw bytes).
	CredentialID []byte
	Name         string
	SignCount    uint32
	Transports   []string
	AAGUID       string // UUID form, "" when the authenticator gives none
	// BackupEligible marks a synced (multi-device) passkey.
	BackupEligible bool
	// Discoverable is true when the authenticator reported a resident key.
	Discoverable bool
	Record       []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastUsedAt   *time.Time
}

// MaxPasskeyNameLen bounds a passkey's name.
const MaxPasskeyNameLen = 100

// Methods are the second factors a user has set up.
type Methods struct {
	TOTP     bool // a verified TOTP method
	WebAuthn bool // at least one passkey
}

// Any reports whether at least one second factor is set up.
func (m Methods) Any() bool { return m.TOTP || m.WebAuthn }
