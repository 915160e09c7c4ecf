package ports

import (
	"context"

	"github.com/secuird/secuird/core/identity"
)

// PlatformCounts are the platform overview's totals.
type PlatformCounts struct {
	// UsersByStatus counts live users per status.
	UsersByStatus map[identity.UserStatus]int
	// DeletedUsers counts soft-deleted users.
	DeletedUsers int
	// Orgs counts live organizations.
	Orgs int
}

// AdminStats answers the platform administration's aggregate questions,
// each with one indexed query.
type AdminStats interface {
	// PlatformCounts counts users (per status, deleted apart) and live
	// organizations.
	PlatformCounts(ctx context.Context) (PlatformCounts, error)
	// UsersWithMFA reports which of the users have a second factor (a
	// verified TOTP method or a passkey); absent IDs have none.
	UsersWithMFA(ctx context.Context, userIDs []string) (map[string]bool, error)
}
