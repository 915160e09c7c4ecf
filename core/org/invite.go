package org

import "time"

// InviteTTL is how long an invitation stays valid (SEED-SPEC 8.2).
const InviteTTL = 7 * 24 * time.Hour

// Invite is an invitation to join an organization, sent by email. Only the
// SHA-256 of its token is stored; the token is single use.
type Invite struct {
	ID          string
	OrgID       string
	InvitedByID string // empty when the inviter's account is gone
	Email       string // lower-case
	Role        Role
	TokenHash   string // hex SHA-256 of the token
	CreatedAt   time.Time
	ExpiresAt   time.Time
	AcceptedAt  *time.Time
	AcceptedBy  string
	CancelledAt *time.Time
}

// PendingAt reports whether the invite can still be accepted at t.
func (i Invite) PendingAt(t time.Time) bool {
	return i.AcceptedAt == nil && i.CancelledAt == nil && t.Before(i.ExpiresAt)
}

// InviteSummary is an invite with what its recipient needs to decide: the
// organization and the inviter's name.
type InviteSummary struct {
	Invite
	OrgName     string
	OrgSlug     string
	InviterName string
}
