package oidc

import "time"

// RegistrationToken is an initial access token (RFC 7591 3.1) that an
// organization admin creates: whoever holds it may register clients, and
// they belong to that organization. Only its SHA-256 is stored.
type RegistrationToken struct {
	ID        string
	OrgID     string
	TokenHash string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	// MaxUses is how many clients it may register (at least 1).
	MaxUses int
	Uses    int
}

// UsableAt reports whether the token may register a client at t.
func (r RegistrationToken) UsableAt(t time.Time) bool {
	return t.Before(r.ExpiresAt) && r.Uses < r.MaxUses
}
