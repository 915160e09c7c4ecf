package sqlstore

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

var _ ports.AdminStats = (*Store)(nil)

// PlatformCounts counts users per status (deleted ones apart) with one
// grouped query over the users_status_email_idx index, and live
// organizations with a second one.
func (s *Store) PlatformCounts(ctx context.Context) (ports.PlatformCounts, error) {
	const op = "sqlstore.PlatformCounts"
	var rows []struct {
		Status  string `bun:"status"`
		Deleted bool   `bun:"deleted"`
		N       int    `bun:"n"`
	}
	err := s.reader(ctx).NewRaw(`SELECT status, deleted_at IS NOT NULL AS deleted, count(*) AS n
		FROM users GROUP BY status, deleted_at IS NOT NULL`).Scan(ctx, &rows)
	if err != nil {
		return ports.PlatformCounts{}, translate(op, err)
	}
	out := ports.PlatformCounts{UsersByStatus: map[identity.UserStatus]int{}}
	for _, r := range rows {
		if r.Deleted {
			out.DeletedUsers += r.N
			continue
		}
		out.UsersByStatus[identity.UserStatus(r.Status)] += r.N
	}
	var orgs int
	if err := s.reader(ctx).NewRaw(`SELECT count(*) FROM organizations WHERE deleted_at IS NULL`).Scan(ctx, &orgs); err != nil {
		return ports.PlatformCounts{}, translate(op, err)
	}
	out.Orgs = orgs
	return out, nil
}

// UsersWithMFA reports which users have a verified TOTP method or a
// passkey: one query over the two tables' user_id keys.
func (s *Store) UsersWithMFA(ctx context.Context, userIDs []string) (map[string]bool, error) {
	const op = "sqlstore.UsersWithMFA"
	out := map[string]bool{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var ids []string
	err := s.reader(ctx).NewRaw(`SELECT user_id FROM mfa_totp WHERE verified_at IS NOT NULL AND user_id IN (?)
		UNION SELECT user_id FROM webauthn_credentials WHERE user_id IN (?)`, bun.List(userIDs), bun.List(userIDs)).Scan(ctx, &ids)
	if err != nil {
		return nil, translate(op, err)
	}
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
