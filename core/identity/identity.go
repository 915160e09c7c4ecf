// Package identity holds the entities of accounts and sessions: users,
// password credentials, link tokens and sessions, with the rules that need no
// I/O (email normalisation, password length, session expiry).
package identity

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// UserStatus is the lifecycle state of an account.
type UserStatus string

// The user statuses of the previous system, kept verbatim.
const (
	StatusActive              UserStatus = "active"
	StatusInactive            UserStatus = "inactive"
	StatusSuspended           UserStatus = "suspended"
	StatusPending             UserStatus = "pending"
	StatusComplianceSuspended UserStatus = "compliance_suspended"
)

// Valid reports whether s is a known status.
func (s UserStatus) Valid() bool {
	switch s {
	case StatusActive, StatusInactive, StatusSuspended, StatusPending, StatusComplianceSuspended:
		return true
	}
	return false
}

// User is a person with an account.
type User struct {
	ID            string
	Email         string // always lower-case (NormalizeEmail)
	EmailVerified bool
	FullName      string
	AvatarURL     string
	Status        UserStatus
	// Activated mirrors the previous system's activation flag (default true).
	Activated bool
	// IsPlatformAdmin is granted by an operator command only.
	IsPlatformAdmin bool
	LastLoginAt     *time.Time
	LastLoginIP     string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DeletedAt       *time.Time
}

// Deleted reports whether the account was (soft-)deleted.
func (u User) Deleted() bool { return u.DeletedAt != nil }

// Password limits (SEED-SPEC 3.6): length only, no composition rules.
const (
	PasswordMinLen = 8
	PasswordMaxLen = 128
)

// PasswordLengthProblem returns a user-facing problem with the password's
// length, or "" when it is acceptable. Length counts characters, not bytes.
func PasswordLengthProblem(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < PasswordMinLen:
		return "Password must be at least 8 characters"
	case n > PasswordMaxLen:
		return "Password must be at most 128 characters"
	}
	return ""
}

// MaxEmailLen is the longest address accepted (RFC 5321 path limit).
const MaxEmailLen = 254

// NormalizeEmail trims and lower-cases an address and checks that it is a
// single plain addr-spec (no display name, no group). ok is false when the
// address is not acceptable.
func NormalizeEmail(s string) (email string, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > MaxEmailLen || strings.ContainsAny(s, " \t\r\n<>\"") {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || !strings.Contains(s[at+1:], ".") {
		return "", false
	}
	return s, true
}

// LinkPurpose says what a link token is for.
type LinkPurpose string

// Link token purposes.
const (
	PurposeVerifyEmail   LinkPurpose = "verify_email"
	PurposeResetPassword LinkPurpose = "reset_password"
)

// LinkToken is a single-use token sent by email. Only the SHA-256 of the
// token is stored.
type LinkToken struct {
	ID        string
	UserID    string
	Purpose   LinkPurpose
	Hash      string // hex SHA-256 of the token
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Session is a signed-in device. The bearer token itself is never stored;
// TokenHash (hex SHA-256) is the lookup key and ID the public handle shown in
// listings.
type Session struct {
	ID         string
	TokenHash  string
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time // absolute end of life
	LastSeenAt time.Time
	// IdleTimeout ends the session when it is unused for this long (0: never).
	IdleTimeout time.Duration
	RememberMe  bool
	IP          string
	UserAgent   string
	// ComplianceOnly sessions may only reach the MFA-enrolment allow-list.
	ComplianceOnly bool
	// AuthTime is when the user last proved a factor; AMR lists the methods.
	AuthTime time.Time
	AMR      []string
}

// EndsAt is the instant the session stops being valid: the earlier of its
// absolute expiry and its idle deadline.
func (s Session) EndsAt() time.Time {
	if s.IdleTimeout <= 0 {
		return s.ExpiresAt
	}
	idle := s.LastSeenAt.Add(s.IdleTimeout)
	if idle.Before(s.ExpiresAt) {
		return idle
	}
	return s.ExpiresAt
}

// ActiveAt reports whether the session is usable at t.
func (s Session) ActiveAt(t time.Time) bool { return t.Before(s.EndsAt()) }
