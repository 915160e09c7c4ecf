package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/identity"
)

// linkTokenRow is a row of link_tokens.
type linkTokenRow struct {
	bun.BaseModel `bun:"table:link_tokens,alias:lt"`

	ID        string     `bun:"id,pk"`
	UserID    string     `bun:"user_id,notnull"`
	Purpose   string     `bun:"purpose,notnull"`
	TokenHash string     `bun:"token_hash,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

func (r linkTokenRow) token() identity.LinkToken {
	return identity.LinkToken{
		ID:        r.ID,
		UserID:    r.UserID,
		Purpose:   identity.LinkPurpose(r.Purpose),
		Hash:      r.TokenHash,
		CreatedAt: dbTime(r.CreatedAt),
		ExpiresAt: dbTime(r.ExpiresAt),
		UsedAt:    dbTimePtr(r.UsedAt),
	}
}

var linkMsgs = msgs{notFound: "The link is invalid or has expired", conflict: "The link token already exists"}

// CreateLinkToken stores t. Conflict when the hash (or ID) exists;
// NotFound when the user does not exist.
func (s *Store) CreateLinkToken(ctx context.Context, t identity.LinkToken) error {
	const op = "sqlstore.CreateLinkToken"
	row := linkTokenRow{
		ID:        t.ID,
		UserID:    t.UserID,
		Purpose:   string(t.Purpose),
		TokenHash: t.Hash,
		CreatedAt: dbTime(t.CreatedAt),
		ExpiresAt: dbTime(t.ExpiresAt),
		UsedAt:    dbTimePtr(t.UsedAt),
	}
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, msgs{notFound: "User not found", conflict: linkMsgs.conflict})
	}
	return nil
}

// ConsumeLinkToken marks the unused, unexpired token with that purpose and
// hash used at now and returns it. It is one conditional UPDATE ...
// RETURNING, so of any number of concurrent calls exactly one matches the
// row (on Postgres the others wait for its lock and then see used_at set).
// NotFound when unknown, used or expired (expires_at <= now).
func (s *Store) ConsumeLinkToken(ctx context.Context, purpose identity.LinkPurpose, hash string, now time.Time) (identity.LinkToken, error) {
	const op = "sqlstore.ConsumeLinkToken"
	now = dbTime(now)
	var row linkTokenRow
	err := s.db(ctx).NewRaw(
		`UPDATE link_tokens SET used_at = ?
		WHERE purpose = ? AND token_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING id, user_id, purpose, token_hash, created_at, expires_at, used_at`,
		now, string(purpose), hash, now,
	).Scan(ctx, &row)
	if err != nil {
		return identity.LinkToken{}, translateMsg(op, err, linkMsgs)
	}
	return row.token(), nil
}

// DeleteLinkTokens removes the user's unused tokens of that purpose; used
// ones stay as a record.
func (s *Store) DeleteLinkTokens(ctx context.Context, userID string, purpose identity.LinkPurpose) error {
	const op = "sqlstore.DeleteLinkTokens"
	_, err := s.db(ctx).NewDelete().Model((*linkTokenRow)(nil)).
		Where("user_id = ?", userID).
		Where("purpose = ?", string(purpose)).
		Where("used_at IS NULL").
		Exec(ctx)
	return translate(op, err)
}
