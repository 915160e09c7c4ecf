package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

var _ ports.RegistrationTokenStore = (*Store)(nil)

// regTokenRow is a row of oidc_registration_tokens.
type regTokenRow struct {
	bun.BaseModel `bun:"table:oidc_registration_tokens,alias:ort2"`

	ID        string    `bun:"id,pk"`
	OrgID     string    `bun:"organization_id,notnull"`
	TokenHash string    `bun:"token_hash,notnull"`
	CreatedBy string    `bun:"created_by,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
	MaxUses   int       `bun:"max_uses,notnull"`
	Uses      int       `bun:"uses,notnull"`
}

func (r regTokenRow) token() oidc.RegistrationToken {
	return oidc.RegistrationToken{ID: r.ID, OrgID: r.OrgID, TokenHash: r.TokenHash, CreatedBy: r.CreatedBy,
		CreatedAt: dbTime(r.CreatedAt), ExpiresAt: dbTime(r.ExpiresAt), MaxUses: r.MaxUses, Uses: r.Uses}
}

var regMsgs = msgs{notFound: "Registration token not found, expired or used up", conflict: "Registration token exists"}

// CreateRegistrationToken stores t.
func (s *Store) CreateRegistrationToken(ctx context.Context, t oidc.RegistrationToken) error {
	row := regTokenRow{ID: t.ID, OrgID: t.OrgID, TokenHash: t.TokenHash, CreatedBy: t.CreatedBy, CreatedAt: dbTime(t.CreatedAt),
		ExpiresAt: dbTime(t.ExpiresAt), MaxUses: t.MaxUses, Uses: t.Uses}
	_, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx)
	return translateMsg("sqlstore.CreateRegistrationToken", err, regMsgs)
}

// UseRegistrationToken counts a use with one conditional UPDATE ...
// RETURNING, so the last use goes to exactly one caller.
func (s *Store) UseRegistrationToken(ctx context.Context, hash string, now time.Time) (oidc.RegistrationToken, error) {
	const op = "sqlstore.UseRegistrationToken"
	var row regTokenRow
	err := s.db(ctx).NewUpdate().Model(&row).Set("uses = uses + 1").
		Where("token_hash = ?", hash).Where("expires_at > ?", dbTime(now)).Where("uses < max_uses").
		Returning("*").Scan(ctx)
	if err != nil {
		return oidc.RegistrationToken{}, translateMsg(op, err, regMsgs)
	}
	if row.ID == "" {
		return oidc.RegistrationToken{}, fault.E(op, fault.NotFound, regMsgs.notFound)
	}
	return row.token(), nil
}
