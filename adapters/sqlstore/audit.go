package sqlstore

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
)

// Audit page sizes.
const (
	auditDefaultLimit = 50
	auditMaxLimit     = 200
)

// auditRow is a row of audit_logs. Empty strings are stored as NULL.
type auditRow struct {
	bun.BaseModel `bun:"table:audit_logs,alias:a"`

	ID             string         `bun:"id,pk"`
	CreatedAt      time.Time      `bun:"created_at,notnull"`
	UserID         string         `bun:"user_id,nullzero"`
	Action         string         `bun:"action,notnull"`
	ResourceType   string         `bun:"resource_type,nullzero"`
	ResourceID     string         `bun:"resource_id,nullzero"`
	OrganizationID string         `bun:"organization_id,nullzero"`
	IPAddress      string         `bun:"ip_address,nullzero"`
	UserAgent      string         `bun:"user_agent,nullzero"`
	RequestID      string         `bun:"request_id,nullzero"`
	Success        bool           `bun:"success,notnull"`
	ErrorMessage   string         `bun:"error_message,nullzero"`
	Description    string         `bun:"description,nullzero"`
	ExtraData      map[string]any `bun:"extra_data,nullzero"` // JSON text
}

func (r auditRow) entry() audit.Entry {
	return audit.Entry{
		ID:           r.ID,
		At:           dbTime(r.CreatedAt),
		ActorID:      r.UserID,
		Action:       r.Action,
		ResourceType: r.ResourceType,
		ResourceID:   r.ResourceID,
		OrgID:        r.OrganizationID,
		Source:       audit.Source{IP: r.IPAddress, UserAgent: r.UserAgent, RequestID: r.RequestID},
		Success:      r.Success,
		Error:        r.ErrorMessage,
		Description:  r.Description,
		Extra:        r.ExtraData,
	}
}

// AppendAudit stores e (ID and At are set by the caller). Text that
// Postgres cannot store (NUL bytes, invalid UTF-8, e.g. in a hostile
// User-Agent) is cleaned first, on both dialects, so the trail never
// loses an entry over it. Conflict when the ID exists.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) error {
	const op = "sqlstore.AppendAudit"
	row := auditRow{
		ID:             clean(e.ID),
		CreatedAt:      dbTime(e.At),
		UserID:         clean(e.ActorID),
		Action:         clean(e.Action),
		ResourceType:   clean(e.ResourceType),
		ResourceID:     clean(e.ResourceID),
		OrganizationID: clean(e.OrgID),
		IPAddress:      clean(e.IP),
		UserAgent:      clean(e.UserAgent),
		RequestID:      clean(e.RequestID),
		Success:        e.Success,
		ErrorMessage:   clean(e.Error),
		Description:    clean(e.Description),
		ExtraData:      e.Extra,
	}
	if len(row.ExtraData) == 0 {
		row.ExtraData = nil
	}
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, msgs{conflict: "The audit entry already exists"})
	}
	return nil
}

// ListAudit returns entries matching every non-zero field of f, newest
// first by (At, ID), and a cursor for the next page ("" when there is
// none). Since is inclusive and Until exclusive, both compared at the
// stored precision (whole microseconds). Limit defaults to 50 and
// is capped at 200. Invalid for a malformed cursor.
func (s *Store) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Entry, string, error) {
	const op = "sqlstore.ListAudit"
	limit := f.Limit
	if limit <= 0 {
		limit = auditDefaultLimit
	}
	limit = min(limit, auditMaxLimit)

	var rows []auditRow
	q := s.reader(ctx).NewSelect().Model(&rows)
	for _, c := range []struct{ col, val string }{
		{"a.user_id", f.ActorID},
		{"a.organization_id", f.OrgID},
		{"a.action", f.Action},
		{"a.resource_type", f.ResourceType},
		{"a.resource_id", f.ResourceID},
	} {
		if c.val != "" {
			q = q.Where("? = ?", bun.Safe(c.col), clean(c.val))
		}
	}
	if f.Success != nil {
		q = q.Where("a.success = ?", *f.Success)
	}
	if !f.Since.IsZero() {
		q = q.Where("a.created_at >= ?", dbTime(f.Since))
	}
	if !f.Until.IsZero() {
		q = q.Where("a.created_at < ?", dbTime(f.Until))
	}
	if f.Cursor != "" {
		at, id, ok := decodeCursor(f.Cursor)
		if !ok {
			return nil, "", fault.E(op, fault.Invalid, "Malformed page cursor")
		}
		// Keyset pagination: strictly after the last entry of the previous page.
		q = q.Where("(a.created_at < ? OR (a.created_at = ? AND a.id < ?))", at, at, id)
	}
	q = q.OrderExpr("a.created_at DESC, a.id DESC").Limit(int64(limit) + 1)
	if err := q.Scan(ctx); err != nil {
		return nil, "", translate(op, err)
	}

	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeCursor(dbTime(last.CreatedAt), last.ID)
	}
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, next, nil
}

// encodeCursor makes the opaque page cursor: a version, the creation time
// in Unix microseconds and the ID of the last entry shown.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("1:" + strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

func decodeCursor(c string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	parts := strings.SplitN(string(b), ":", 3)
	if len(parts) != 3 || parts[0] != "1" || parts[2] == "" {
		return time.Time{}, "", false
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return time.Time{}, "", false
	}
	return time.UnixMicro(us).UTC(), parts[2], true
}

// clean makes s storable in any dialect: valid UTF-8 without NUL bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
