// Package ports declares the interfaces the core needs from the outside
// world (driven ports). Adapters implement them; the conformance suites in
// ports/porttest check that every adapter behaves the same.
//
// Conventions: context first; errors are *fault.Error with the kinds named
// in each method's comment (any method may also return Unavailable when its
// backend does not answer, and Internal for the unexpected); times are
// returned in UTC.
package ports

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
)

// Clock tells the time. Core code never calls time.Now directly.
type Clock interface {
	Now() time.Time
}

// Random fills b with cryptographically secure random bytes.
type Random interface {
	Read(b []byte)
}

// Transactor runs fn in one durable transaction. Store calls made with the
// context passed to fn join the transaction; if fn returns an error, nothing
// fn wrote is kept. fn may be retried on serialization failures, so it must
// not have effects outside the stores.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Pinger reports whether a backend answers (health checks).
type Pinger interface {
	Ping(ctx context.Context) error
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u. Conflict when a live user has the same email.
	CreateUser(ctx context.Context, u identity.User) error
	// UserByID returns a live user. NotFound when absent or deleted.
	UserByID(ctx context.Context, id string) (identity.User, error)
	// UserByEmail returns the live user with that (case-folded) email. NotFound otherwise.
	UserByEmail(ctx context.Context, email string) (identity.User, error)
	// UpdateUser applies fn to the live user in one transaction and stores
	// the result (ID and CreatedAt cannot change). fn may be retried, so it
	// must be pure. NotFound when absent or deleted; Conflict when the new
	// email belongs to another live user; fn's own error is returned as is.
	UpdateUser(ctx context.Context, id string, fn func(identity.User) (identity.User, error)) (identity.User, error)
	// CountUsers counts live users.
	CountUsers(ctx context.Context) (int, error)
	// ClaimFirstUser records userID as the installation's first user
	// unless one is recorded already, and reports whether this call did.
	// Of any number of concurrent calls in concurrent transactions exactly
	// one gets true, even before any of them commits.
	ClaimFirstUser(ctx context.Context, userID string, at time.Time) (bool, error)
	// UserByIDAny returns a user, deleted or not. NotFound when absent.
	UserByIDAny(ctx context.Context, id string) (identity.User, error)
	// UserByEmailAny returns the user with that (case-folded) email,
	// deleted or not: the live one when there is one, otherwise the most
	// recently deleted. NotFound when no user has had the email.
	UserByEmailAny(ctx context.Context, email string) (identity.User, error)
	// ListUsers returns one page of users matching q, ordered by email
	// (then ID), and the total number of matches.
	ListUsers(ctx context.Context, q UserQuery) ([]identity.User, int, error)
	// RestoreUser undoes a soft deletion at `at` (UpdatedAt = at). NotFound
	// when absent or not deleted; Conflict when a live user took the email.
	RestoreUser(ctx context.Context, id string, at time.Time) (identity.User, error)
	// HardDeleteUser removes the user row and everything that belongs to
	// it (credentials, link tokens, memberships); references from other
	// rows (inviter, key creator) become empty. Audit entries keep the ID.
	// NotFound when absent.
	HardDeleteUser(ctx context.Context, id string) error
}

// UserQuery selects users for the admin listing.
type UserQuery struct {
	// Search matches a case-insensitive substring of the email or name.
	Search string
	// Unscoped lists every user (platform admins). Otherwise only users
	// belonging to one of OrgIDs are listed (none when OrgIDs is empty):
	// live members, and deleted users whose memberships were removed with
	// their account (so their org admins can restore them).
	Unscoped bool
	OrgIDs   []string
	// IncludeDeleted lists soft-deleted users too.
	IncludeDeleted bool
	// Status keeps only live users in that status ("" for every status).
	Status identity.UserStatus
	// OnlyDeleted keeps only soft-deleted users (overrides Status).
	OnlyDeleted bool
	// Offset and Limit select the page (Limit <= 0: the store's default).
	Offset, Limit int
}

// PasswordStore keeps password hashes (the "password" authentication method).
type PasswordStore interface {
	// PasswordHash returns the user's password hash. NotFound when the user has none.
	PasswordHash(ctx context.Context, userID string) (string, error)
	// SetPasswordHash creates or replaces the user's password hash.
	SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error
}

// LinkTokenStore keeps the hashes of single-use emailed tokens.
type LinkTokenStore interface {
	// CreateLinkToken stores t. Conflict when the hash exists.
	CreateLinkToken(ctx context.Context, t identity.LinkToken) error
	// ConsumeLinkToken marks the unused, unexpired token with that purpose
	// and hash used at now and returns it. Exactly one of any number of
	// concurrent calls succeeds. NotFound when unknown, used or expired.
	ConsumeLinkToken(ctx context.Context, purpose identity.LinkPurpose, hash string, now time.Time) (identity.LinkToken, error)
	// DeleteLinkTokens removes the user's unused tokens of that purpose.
	DeleteLinkTokens(ctx context.Context, userID string, purpose identity.LinkPurpose) error
}

// AuditLog is the append-only audit trail. There is no update or delete.
type AuditLog interface {
	// AppendAudit stores e (ID and At are set by the caller) at the end of
	// its organization's hash chain (the platform chain when OrgID is
	// empty), setting Seq, PrevHash and Hash; appends to one chain are
	// serialised, also inside a caller's transaction. Conflict when the ID
	// exists; Invalid when Extra cannot be encoded as JSON.
	AppendAudit(ctx context.Context, e audit.Entry) error
	// ListAudit returns entries matching f, newest first, and a cursor for
	// the next page ("" when there is none). Invalid for a malformed cursor.
	ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, string, error)
}

// Mailer accepts email for delivery. Enqueue must not block on a slow
// provider; with a durable outbox it joins the caller's transaction.
type Mailer interface {
	Enqueue(ctx context.Context, m message.Email) error
}

// PasswordHasher hashes and verifies passwords with a slow KDF.
type PasswordHasher interface {
	// Hash returns an encoded hash of pw.
	Hash(pw string) (string, error)
	// Verify reports whether pw matches hash, and whether the hash should be
	// replaced (its cost differs from the configured one).
	Verify(hash, pw string) (ok, rehash bool, err error)
	// DummyVerify spends the time of one verification, for unknown accounts.
	DummyVerify(pw string)
}

// PasswordPolicy judges password strength beyond length.
type PasswordPolicy interface {
	// Weakness returns a user-facing reason why pw is too easy to guess, or
	// "" when it is acceptable. hints are the user's own words (email, name).
	Weakness(pw string, hints []string) string
}

// SessionStore keeps signed-in sessions (ephemeral state). Expired sessions
// are never returned and are dropped by the store on its own.
type SessionStore interface {
	// CreateSession stores s until s.EndsAt(). Conflict when the token hash exists.
	CreateSession(ctx context.Context, s identity.Session) error
	// SessionByTokenHash returns the session. NotFound when absent or expired.
	SessionByTokenHash(ctx context.Context, hash string) (identity.Session, error)
	// TouchSession records activity at t, pushing the idle deadline (never
	// past ExpiresAt). NotFound when absent or expired.
	TouchSession(ctx context.Context, hash string, t time.Time) error
	// SessionsByUser lists the user's live sessions, newest first.
	SessionsByUser(ctx context.Context, userID string) ([]identity.Session, error)
	// DeleteSession removes one session. NotFound when absent.
	DeleteSession(ctx context.Context, hash string) error
	// DeleteUserSessions removes every session of the user except the one
	// with hash keep ("" keeps none) and returns how many it removed.
	DeleteUserSessions(ctx context.Context, userID, keep string) (int, error)
}

// Counter counts events in fixed windows (rate limits, failed attempts).
type Counter interface {
	// Incr adds one to key and returns the new count and the time left in
	// the window; the window starts at the first Incr after the key expired.
	Incr(ctx context.Context, key string, window time.Duration) (n int64, left time.Duration, err error)
	// Count returns the current count (0 when absent) and the time left.
	Count(ctx context.Context, key string) (n int64, left time.Duration, err error)
	// ResetCount removes key.
	ResetCount(ctx context.Context, key string) error
}

// OneTimeStore keeps short-lived single-use values (pending logins, one-time
// codes, challenges).
type OneTimeStore interface {
	// PutOnce stores value under key for ttl. Conflict when key exists.
	PutOnce(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Take returns and removes the value atomically: of concurrent calls
	// exactly one gets it. NotFound when absent or expired.
	Take(ctx context.Context, key string) ([]byte, error)
}
