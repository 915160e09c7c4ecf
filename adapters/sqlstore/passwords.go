package sqlstore

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// methodPassword is the authentication_methods.method_type of passwords.
const methodPassword = "password"

// authMethodRow is a row of authentication_methods.
type authMethodRow struct {
	bun.BaseModel `bun:"table:authentication_methods,alias:am"`

	ID           string     `bun:"id,pk"`
	UserID       string     `bun:"user_id,notnull"`
	MethodType   string     `bun:"method_type,notnull"`
	PasswordHash string     `bun:"password_hash,nullzero"`
	CreatedAt    time.Time  `bun:"created_at,notnull"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull"`
	DeletedAt    *time.Time `bun:"deleted_at"`
}

var passwordMsgs = msgs{notFound: "No password is set for this user", conflict: "The password was changed concurrently"}

// PasswordHash returns the user's password hash. NotFound when the user
// has none.
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	const op = "sqlstore.PasswordHash"
	var hash string
	err := s.reader(ctx).NewSelect().Model((*authMethodRow)(nil)).
		Column("am.password_hash").
		Where("am.user_id = ?", userID).
		Where("am.method_type = ?", methodPassword).
		Where("am.deleted_at IS NULL").
		Limit(1).
		Scan(ctx, &hash)
	if err != nil {
		return "", translateMsg(op, err, passwordMsgs)
	}
	return hash, nil
}

// SetPasswordHash creates or replaces the user's password hash, recording
// at as its update time (and creation time when new), in one statement.
// NotFound when the user does not exist.
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string, at time.Time) error {
	const op = "sqlstore.SetPasswordHash"
	at = dbTime(at)
	row := authMethodRow{
		ID:           uuid.NewString(),
		UserID:       userID,
		MethodType:   methodPassword,
		PasswordHash: hash,
		CreatedAt:    at,
		UpdatedAt:    at,
	}
	// The conflict target names the partial unique index on live password
	// rows; both Postgres and SQLite infer it from columns plus predicate.
	_, err := s.db(ctx).NewInsert().Model(&row).
		On("CONFLICT (user_id, method_type) WHERE method_type = 'password' AND deleted_at IS NULL DO UPDATE").
		Set("password_hash = EXCLUDED.password_hash").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return translateMsg(op, err, msgs{notFound: "User not found", conflict: passwordMsgs.conflict})
	}
	return nil
}
