package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

var _ ports.BackchannelQueue = (*Store)(nil)

// backchannelRow is a row of oidc_backchannel_logouts.
type backchannelRow struct {
	bun.BaseModel `bun:"table:oidc_backchannel_logouts,alias:obl"`

	ID            string     `bun:"id,pk"`
	ClientID      string     `bun:"client_id,notnull"`
	URI           string     `bun:"uri,notnull"`
	Subject       string     `bun:"subject,notnull"`
	SessionID     string     `bun:"session_id,notnull"`
	Status        string     `bun:"status,notnull"`
	Attempts      int        `bun:"attempts,notnull"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,notnull"`
	LastError     string     `bun:"last_error,notnull"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	DeliveredAt   *time.Time `bun:"delivered_at"`
}

func backchannelToRow(j oidc.BackchannelLogout) backchannelRow {
	return backchannelRow{ID: j.ID, ClientID: j.ClientID, URI: j.URI, Subject: j.Subject, SessionID: j.SessionID, Status: string(j.Status),
		Attempts: j.Attempts, NextAttemptAt: dbTime(j.NextAttemptAt), LastError: j.LastError, CreatedAt: dbTime(j.CreatedAt),
		DeliveredAt: dbTimePtr(j.DeliveredAt)}
}

func (r backchannelRow) job() oidc.BackchannelLogout {
	return oidc.BackchannelLogout{ID: r.ID, ClientID: r.ClientID, URI: r.URI, Subject: r.Subject, SessionID: r.SessionID,
		Status: oidc.BackchannelStatus(r.Status), Attempts: r.Attempts, NextAttemptAt: dbTime(r.NextAttemptAt), LastError: r.LastError,
		CreatedAt: dbTime(r.CreatedAt), DeliveredAt: dbTimePtr(r.DeliveredAt)}
}

// EnqueueBackchannel stores the deliveries.
func (s *Store) EnqueueBackchannel(ctx context.Context, jobs []oidc.BackchannelLogout) error {
	if len(jobs) == 0 {
		return nil
	}
	rows := make([]backchannelRow, len(jobs))
	for i, j := range jobs {
		rows[i] = backchannelToRow(j)
	}
	_, err := s.db(ctx).NewInsert().Model(&rows).Exec(ctx)
	return translate("sqlstore.EnqueueBackchannel", err)
}

// ClaimBackchannel takes due deliveries and leases them.
func (s *Store) ClaimBackchannel(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]oidc.BackchannelLogout, error) {
	const op = "sqlstore.ClaimBackchannel"
	var out []oidc.BackchannelLogout
	err := s.InTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		q := s.db(ctx).NewSelect().Model((*backchannelRow)(nil)).
			Where("status = ?", string(oidc.BackchannelPending)).Where("next_attempt_at <= ?", dbTime(now)).
			OrderExpr("next_attempt_at ASC").Limit(int64(limit))
		if s.postgres() {
			q = q.For("UPDATE SKIP LOCKED")
		}
		var rows []backchannelRow
		if err := q.Scan(ctx, &rows); err != nil {
			return translate(op, err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
			out = append(out, r.job())
		}
		_, err := s.db(ctx).NewUpdate().Model((*backchannelRow)(nil)).Set("next_attempt_at = ?", dbTime(now.Add(lease))).
			Where("id IN (?)", bun.List(ids)).Exec(ctx)
		return translate(op, err)
	})
	return out, err
}

// UpdateBackchannel stores a delivery's new state.
func (s *Store) UpdateBackchannel(ctx context.Context, j oidc.BackchannelLogout) error {
	const op = "sqlstore.UpdateBackchannel"
	row := backchannelToRow(j)
	res, err := s.db(ctx).NewUpdate().Model(&row).WherePK().Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fault.E(op, fault.NotFound, "Back-channel logout not found")
	}
	return nil
}

// ClientsOfSession lists the clients that got codes or refresh tokens
// under the session.
func (s *Store) ClientsOfSession(ctx context.Context, sessionID string) ([]string, error) {
	const op = "sqlstore.ClientsOfSession"
	if sessionID == "" {
		return nil, nil
	}
	var a, b []string
	if err := s.reader(ctx).NewSelect().Model((*authRequestRow)(nil)).Column("client_id").Distinct().
		Where("session_id = ?", sessionID).Where("done_at IS NOT NULL").Scan(ctx, &a); err != nil {
		return nil, translate(op, err)
	}
	if err := s.reader(ctx).NewSelect().Model((*refreshRow)(nil)).Column("client_id").Distinct().
		Where("session_id = ?", sessionID).Scan(ctx, &b); err != nil {
		return nil, translate(op, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range append(a, b...) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}
