package sqlstore

import (
	"context"
	"time"
)

// RevokeClientRefreshTokens revokes every live refresh token of a client.
func (s *Store) RevokeClientRefreshTokens(ctx context.Context, clientID, reason string, now time.Time) (int, error) {
	res, err := s.db(ctx).NewUpdate().Model((*refreshRow)(nil)).
		Set("revoked_at = ?", dbTime(now)).Set("revoked_reason = ?", reason).
		Where("client_id = ?", clientID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, translate("sqlstore.RevokeClientRefreshTokens", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
