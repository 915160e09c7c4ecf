package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/org"
)

// apiKeyRow is a row of organization_api_keys.
type apiKeyRow struct {
	bun.BaseModel `bun:"table:organization_api_keys,alias:k"`

	ID           string     `bun:"id,pk"`
	OrgID        string     `bun:"organization_id,notnull"`
	Name         string     `bun:"name,notnull"`
	Description  string     `bun:"description,nullzero"`
	Hint         string     `bun:"key_hint,notnull"`
	KeyHash      string     `bun:"key_hash,notnull"`
	CreatedByID  string     `bun:"created_by_id,nullzero"`
	LastUsedAt   *time.Time `bun:"last_used_at"`
	IsRevoked    bool       `bun:"is_revoked,notnull"`
	RevokedAt    *time.Time `bun:"revoked_at"`
	RevokeReason string     `bun:"revoke_reason,nullzero"`
	CreatedAt    time.Time  `bun:"created_at,notnull"`
	UpdatedAt    time.Time  `bun:"updated_at,notnull"`
}

func apiKeyToRow(k org.APIKey) apiKeyRow {
	return apiKeyRow{
		ID: k.ID, OrgID: k.OrgID, Name: clean(k.Name), Description: clean(k.Description), Hint: k.Hint, KeyHash: k.KeyHash,
		CreatedByID: k.CreatedByID, LastUsedAt: dbTimePtr(k.LastUsedAt), IsRevoked: k.RevokedAt != nil,
		RevokedAt: dbTimePtr(k.RevokedAt), RevokeReason: clean(k.RevokeReason),
		CreatedAt: dbTime(k.CreatedAt), UpdatedAt: dbTime(k.UpdatedAt),
	}
}

func (r apiKeyRow) key() org.APIKey {
	return org.APIKey{
		ID: r.ID, OrgID: r.OrgID, Name: r.Name, Description: r.Description, Hint: r.Hint, KeyHash: r.KeyHash,
		CreatedByID: r.CreatedByID, LastUsedAt: dbTimePtr(r.LastUsedAt), RevokedAt: dbTimePtr(r.RevokedAt),
		RevokeReason: r.RevokeReason, CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt),
	}
}

var apiKeyMsgs = msgs{notFound: "API key not found", conflict: "The API key already exists"}

// CreateAPIKey stores k. Conflict when the hash (or ID) exists; NotFound
// when the organization does not exist.
func (s *Store) CreateAPIKey(ctx context.Context, k org.APIKey) error {
	const op = "sqlstore.CreateAPIKey"
	row := apiKeyToRow(k)
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, msgs{notFound: "Organization not found", conflict: apiKeyMsgs.conflict})
	}
	return nil
}

// APIKeyByHash returns the unrevoked key with that hash of a live
// organization. NotFound otherwise.
func (s *Store) APIKeyByHash(ctx context.Context, keyHash string) (org.APIKey, error) {
	const op = "sqlstore.APIKeyByHash"
	var row apiKeyRow
	err := s.reader(ctx).NewSelect().Model(&row).
		Join("JOIN organizations AS o ON o.id = k.organization_id AND o.deleted_at IS NULL").
		Where("k.key_hash = ?", keyHash).Where("k.revoked_at IS NULL").
		Scan(ctx)
	if err != nil {
		return org.APIKey{}, translateMsg(op, err, apiKeyMsgs)
	}
	return row.key(), nil
}

// APIKey returns one key of the organization. NotFound when absent or of
// another organization.
func (s *Store) APIKey(ctx context.Context, orgID, id string) (org.APIKey, error) {
	const op = "sqlstore.APIKey"
	var row apiKeyRow
	err := s.reader(ctx).NewSelect().Model(&row).
		Where("k.id = ?", id).Where("k.organization_id = ?", orgID).
		Scan(ctx)
	if err != nil {
		return org.APIKey{}, translateMsg(op, err, apiKeyMsgs)
	}
	return row.key(), nil
}

// ListAPIKeys lists the organization's keys, newest first.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string) ([]org.APIKey, error) {
	const op = "sqlstore.ListAPIKeys"
	var rows []apiKeyRow
	err := s.reader(ctx).NewSelect().Model(&rows).
		Where("k.organization_id = ?", orgID).
		OrderExpr("k.created_at DESC, k.id DESC").
		Scan(ctx)
	if err != nil {
		return nil, translate(op, err)
	}
	out := make([]org.APIKey, len(rows))
	for i, r := range rows {
		out[i] = r.key()
	}
	return out, nil
}

// UpdateAPIKey applies fn to one key of the organization in one
// transaction (the row locked on Postgres) and stores the result, keeping
// ID, OrgID, KeyHash, Hint and CreatedAt. NotFound when absent or of
// another organization; fn's own error is returned as is.
func (s *Store) UpdateAPIKey(ctx context.Context, orgID, id string, fn func(org.APIKey) (org.APIKey, error)) (org.APIKey, error) {
	const op = "sqlstore.UpdateAPIKey"
	var out org.APIKey
	err := s.InTx(ctx, func(ctx context.Context) error {
		var row apiKeyRow
		q := s.db(ctx).NewSelect().Model(&row).Where("k.id = ?", id).Where("k.organization_id = ?", orgID)
		if s.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return translateMsg(op, err, apiKeyMsgs)
		}
		old := row.key()
		nu, err := fn(old)
		if err != nil {
			return err
		}
		nu.ID, nu.OrgID, nu.KeyHash, nu.Hint, nu.CreatedAt = old.ID, old.OrgID, old.KeyHash, old.Hint, old.CreatedAt
		next := apiKeyToRow(nu)
		if _, err := s.db(ctx).NewUpdate().Model(&next).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, apiKeyMsgs)
		}
		out = next.key()
		return nil
	})
	if err != nil {
		return org.APIKey{}, err
	}
	return out, nil
}

// TouchAPIKey records a use at `at`, never moving the time backwards.
// NotFound when absent or of another organization.
func (s *Store) TouchAPIKey(ctx context.Context, orgID, id string, at time.Time) error {
	const op = "sqlstore.TouchAPIKey"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*apiKeyRow)(nil)).
		Set("last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END", at, at).
		Where("id = ?", id).Where("organization_id = ?", orgID).
		Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	return affectedOne(op, res, apiKeyMsgs.notFound)
}

// RevokeOrgAPIKeys revokes every unrevoked key of the organization.
func (s *Store) RevokeOrgAPIKeys(ctx context.Context, orgID string, at time.Time, reason string) (int, error) {
	const op = "sqlstore.RevokeOrgAPIKeys"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*apiKeyRow)(nil)).
		Set("is_revoked = ?", true).Set("revoked_at = ?", at).Set("revoke_reason = ?", clean(reason)).Set("updated_at = ?", at).
		Where("organization_id = ?", orgID).Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}
