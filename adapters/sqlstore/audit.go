package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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

	ID             string    `bun:"id,pk"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
	UserID         string    `bun:"user_id,nullzero"`
	Action         string    `bun:"action,notnull"`
	ResourceType   string    `bun:"resource_type,nullzero"`
	ResourceID     string    `bun:"resource_id,nullzero"`
	OrganizationID string    `bun:"organization_id,nullzero"`
	IPAddress      string    `bun:"ip_address,nullzero"`
	UserAgent      string    `bun:"user_agent,nullzero"`
	RequestID      string    `bun:"request_id,nullzero"`
	Success        bool      `bun:"success,notnull"`
	ErrorMessage   string    `bun:"error_message,nullzero"`
	Description    string    `bun:"description,nullzero"`
	ExtraData      string    `bun:"extra_data,nullzero"` // canonical JSON text (audit.CanonicalExtra)
	Chain          string    `bun:"chain,notnull"`       // organization_id, or "" for the platform chain
	Seq            int64     `bun:"seq,notnull"`
	PrevHash       string    `bun:"prev_hash,notnull"`
	Hash           string    `bun:"hash,notnull"`
}

// chained returns the row as an entry with every stored field but Extra,
// which ChainHash takes as text.
func (r auditRow) chained() audit.Entry {
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
		Seq:          r.Seq,
		PrevHash:     r.PrevHash,
		Hash:         r.Hash,
	}
}

// entry returns the row as an entry. Numbers in Extra come back as
// json.Number, keeping their exact text (so large integers survive and the
// entry's hash can be recomputed from it). Extra data that is not a JSON
// object (only a hand-edited row has that; verification reports it) is
// dropped.
func (r auditRow) entry() audit.Entry {
	e := r.chained()
	if r.ExtraData != "" {
		dec := json.NewDecoder(strings.NewReader(r.ExtraData))
		dec.UseNumber()
		var extra map[string]any
		if dec.Decode(&extra) == nil && len(extra) > 0 {
			e.Extra = extra
		}
	}
	return e
}

// AppendAudit stores e (ID and At are set by the caller) at the end of
// its chain: the organization's, or the platform chain when OrgID is
// empty. It reads the chain's head and inserts the row with the next
// sequence number, the head's hash as PrevHash and its own ChainHash, all
// in one transaction (the caller's when ctx carries one). Appends to one
// chain are serialised: on Postgres by a transaction-scoped advisory lock
// on the chain key, held until the transaction ends; on SQLite by its
// single writer. The unique (chain, seq) index is the backstop.
//
// Text that Postgres cannot store (NUL bytes, invalid UTF-8, e.g. in a
// hostile User-Agent) is cleaned first, on both dialects, so the trail
// never loses an entry over it; the hash covers the cleaned text. Conflict
// when the ID exists; Invalid when Extra cannot be encoded as JSON.
func (s *Store) AppendAudit(ctx context.Context, e audit.Entry) error {
	const op = "sqlstore.AppendAudit"
	extra, err := audit.CanonicalExtra(e.Extra)
	if err != nil {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "The audit entry's extra data cannot be stored", Err: err}
	}
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
		// json.Marshal writes valid UTF-8 and escapes NUL, so this needs
		// no cleaning.
		ExtraData: extra,
	}
	row.Chain = row.OrganizationID
	add := func(ctx context.Context) error {
		db := s.db(ctx)
		if s.postgres() {
			// Namespaced so that the key cannot collide with another
			// user of advisory locks by accident (a hash collision between
			// two chains only makes them wait for each other).
			if _, err := db.NewRaw("SELECT pg_advisory_xact_lock(hashtext(?))", "secuird.audit_logs:"+row.Chain).Exec(ctx); err != nil {
				return translate(op, err)
			}
		}
		var head auditRow
		err := db.NewSelect().Model(&head).Column("seq", "hash").
			Where("a.chain = ?", row.Chain).OrderExpr("a.seq DESC").Limit(1).Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			row.Seq, row.PrevHash = 1, "" // the chain's first row
		case err != nil:
			return translate(op, err)
		default:
			row.Seq, row.PrevHash = head.Seq+1, head.Hash
		}
		row.Hash = audit.ChainHash(row.chained(), row.ExtraData)
		if _, err := db.NewInsert().Model(&row).Exec(ctx); err != nil {
			return translateMsg(op, err, msgs{conflict: "The audit entry already exists"})
		}
		return nil
	}
	if s.txFrom(ctx) != nil {
		// The caller's transaction: the lock is held until it ends, so its
		// later appends to the chain follow on without a gap.
		return add(ctx)
	}
	return s.InTx(ctx, add)
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
		at, id, ok := decodeKeyset("1", f.Cursor)
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
		next = encodeKeyset("1", dbTime(last.CreatedAt), last.ID)
	}
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, next, nil
}

// clean makes s storable in any dialect: valid UTF-8 without NUL bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}
