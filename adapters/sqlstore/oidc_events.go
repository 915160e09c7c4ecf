package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/ports"
)

var _ ports.OIDCEventLog = (*Store)(nil)

// eventRow is a row of oidc_events.
type eventRow struct {
	bun.BaseModel `bun:"table:oidc_events,alias:oev"`

	ID        string    `bun:"id,pk"`
	At        time.Time `bun:"occurred_at,notnull"`
	Type      string    `bun:"event_type,notnull"`
	ClientID  string    `bun:"client_id,notnull"`
	UserID    string    `bun:"user_id,notnull"`
	OrgID     string    `bun:"organization_id,notnull"`
	Success   bool      `bun:"success,notnull"`
	ErrorCode string    `bun:"error_code,notnull"`
	IP        string    `bun:"ip_address,notnull"`
	UserAgent string    `bun:"user_agent,notnull"`
	RequestID string    `bun:"request_id,notnull"`
	Metadata  string    `bun:"metadata,notnull"`
}

// eventBatch bounds the rows of one INSERT (SQLite allows 32766 bound
// parameters; 12 columns x 500 rows stays well below).
const eventBatch = 500

// AppendOIDCEvents inserts the events in one transaction, in multi-row
// INSERTs.
func (s *Store) AppendOIDCEvents(ctx context.Context, events []oidc.Event) error {
	const op = "sqlstore.AppendOIDCEvents"
	if len(events) == 0 {
		return nil
	}
	rows := make([]eventRow, len(events))
	for i, e := range events {
		meta := "{}"
		if len(e.Metadata) > 0 {
			if b, err := json.Marshal(e.Metadata); err == nil {
				meta = string(b)
			}
		}
		rows[i] = eventRow{ID: e.ID, At: dbTime(e.At), Type: e.Type, ClientID: e.ClientID, UserID: e.UserID, OrgID: e.OrgID,
			Success: e.Success, ErrorCode: e.ErrorCode, IP: e.IP, UserAgent: e.UserAgent, RequestID: e.RequestID, Metadata: meta}
	}
	return s.InTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(rows); start += eventBatch {
			chunk := rows[start:min(start+eventBatch, len(rows))]
			if _, err := s.db(ctx).NewInsert().Model(&chunk).Exec(ctx); err != nil {
				return translate(op, err)
			}
		}
		return nil
	})
}

// OIDCEvents lists a client's newest events, newest first.
func (s *Store) OIDCEvents(ctx context.Context, clientID string, limit int) ([]oidc.Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var rows []eventRow
	if err := s.reader(ctx).NewSelect().Model(&rows).Where("oev.client_id = ?", clientID).
		OrderExpr("oev.occurred_at DESC, oev.id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, translate("sqlstore.OIDCEvents", err)
	}
	out := make([]oidc.Event, len(rows))
	for i, r := range rows {
		var meta map[string]any
		_ = json.Unmarshal([]byte(r.Metadata), &meta)
		out[i] = oidc.Event{ID: r.ID, At: dbTime(r.At), Type: r.Type, ClientID: r.ClientID, UserID: r.UserID, OrgID: r.OrgID,
			Success: r.Success, ErrorCode: r.ErrorCode, IP: r.IP, UserAgent: r.UserAgent, RequestID: r.RequestID, Metadata: meta}
	}
	return out, nil
}
