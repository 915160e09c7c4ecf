package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/identity"
)

// userRow is a row of users. Columns are named explicitly (STACK-NOTES
// trap 12); no `default:` tags, so a false or empty value is written as is.
type userRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID              string     `bun:"id,pk"`
	Email           string     `bun:"email,notnull"`
	EmailVerified   bool       `bun:"email_verified,notnull"`
	FullName        string     `bun:"full_name,notnull"`
	AvatarURL       string     `bun:"avatar_url,nullzero"`
	Status          string     `bun:"status,notnull"`
	Activated       bool       `bun:"activated,notnull"`
	IsPlatformAdmin bool       `bun:"is_platform_admin,notnull"`
	LastLoginAt     *time.Time `bun:"last_login_at"`
	LastLoginIP     string     `bun:"last_login_ip,nullzero"`
	CreatedAt       time.Time  `bun:"created_at,notnull"`
	UpdatedAt       time.Time  `bun:"updated_at,notnull"`
	DeletedAt       *time.Time `bun:"deleted_at"`
}

func userToRow(u identity.User) userRow {
	return userRow{
		ID:              u.ID,
		Email:           foldEmail(u.Email),
		EmailVerified:   u.EmailVerified,
		FullName:        u.FullName,
		AvatarURL:       u.AvatarURL,
		Status:          string(u.Status),
		Activated:       u.Activated,
		IsPlatformAdmin: u.IsPlatformAdmin,
		LastLoginAt:     dbTimePtr(u.LastLoginAt),
		LastLoginIP:     u.LastLoginIP,
		CreatedAt:       dbTime(u.CreatedAt),
		UpdatedAt:       dbTime(u.UpdatedAt),
		DeletedAt:       dbTimePtr(u.DeletedAt),
	}
}

func (r userRow) user() identity.User {
	return identity.User{
		ID:              r.ID,
		Email:           r.Email,
		EmailVerified:   r.EmailVerified,
		FullName:        r.FullName,
		AvatarURL:       r.AvatarURL,
		Status:          identity.UserStatus(r.Status),
		Activated:       r.Activated,
		IsPlatformAdmin: r.IsPlatformAdmin,
		LastLoginAt:     dbTimePtr(r.LastLoginAt),
		LastLoginIP:     r.LastLoginIP,
		CreatedAt:       dbTime(r.CreatedAt),
		UpdatedAt:       dbTime(r.UpdatedAt),
		DeletedAt:       dbTimePtr(r.DeletedAt),
	}
}

var userMsgs = msgs{notFound: "User not found", conflict: "A user with this email already exists"}

// CreateUser inserts u, its email lower-cased. Conflict when a live user
// has the same email (or the ID is taken).
func (s *Store) CreateUser(ctx context.Context, u identity.User) error {
	const op = "sqlstore.CreateUser"
	row := userToRow(u)
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, userMsgs)
	}
	return nil
}

// UserByID returns a live user. NotFound when absent or deleted.
func (s *Store) UserByID(ctx context.Context, id string) (identity.User, error) {
	const op = "sqlstore.UserByID"
	var row userRow
	err := s.reader(ctx).NewSelect().Model(&row).
		Where("u.id = ?", id).Where("u.deleted_at IS NULL").
		Scan(ctx)
	if err != nil {
		return identity.User{}, translateMsg(op, err, userMsgs)
	}
	return row.user(), nil
}

// UserByEmail returns the live user with that email, compared lower-cased.
// NotFound otherwise.
func (s *Store) UserByEmail(ctx context.Context, email string) (identity.User, error) {
	const op = "sqlstore.UserByEmail"
	var row userRow
	err := s.reader(ctx).NewSelect().Model(&row).
		Where("u.email = ?", foldEmail(email)).Where("u.deleted_at IS NULL").
		Scan(ctx)
	if err != nil {
		return identity.User{}, translateMsg(op, err, userMsgs)
	}
	return row.user(), nil
}

// UpdateUser applies fn to the live user inside one transaction (joining
// the caller's) and stores what fn returns, keeping ID and CreatedAt; the
// stored UpdatedAt is the one fn sets. On Postgres the row is locked
// (SELECT ... FOR UPDATE) so concurrent updates queue instead of losing
// each other's changes; SQLite's single writer gives the same guarantee.
// NotFound when absent or deleted; Conflict when the new email belongs to
// another live user; fn's own error is returned as is.
func (s *Store) UpdateUser(ctx context.Context, id string, fn func(identity.User) (identity.User, error)) (identity.User, error) {
	const op = "sqlstore.UpdateUser"
	var out identity.User
	err := s.InTx(ctx, func(ctx context.Context) error {
		var row userRow
		q := s.db(ctx).NewSelect().Model(&row).
			Where("u.id = ?", id).Where("u.deleted_at IS NULL")
		if s.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return translateMsg(op, err, userMsgs)
		}
		old := row.user()
		nu, err := fn(old)
		if err != nil {
			return err
		}
		nu.ID, nu.CreatedAt = old.ID, old.CreatedAt
		next := userToRow(nu)
		if _, err := s.db(ctx).NewUpdate().Model(&next).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, userMsgs)
		}
		out = next.user()
		return nil
	})
	if err != nil {
		return identity.User{}, err
	}
	return out, nil
}

// CountUsers counts live users.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	const op = "sqlstore.CountUsers"
	n, err := s.reader(ctx).NewSelect().Model((*userRow)(nil)).
		Where("u.deleted_at IS NULL").
		Count(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// foldEmail is the stored and compared form of an address. Lower-casing
// happens in Go, not in SQL, so both dialects fold Unicode the same way.
func foldEmail(e string) string { return strings.ToLower(e) }

// dbTime is a time as the database keeps it: UTC, whole microseconds.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}
