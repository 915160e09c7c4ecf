package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

var _ ports.Outbox = (*Store)(nil)

// Outbox page sizes.
const (
	outboxDefaultLimit = 50
	outboxMaxLimit     = 200
)

// mailRow is a row of mail_outbox. vars and sensitive are JSON text,
// encoded here so both dialects store the same bytes.
type mailRow struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:mo"`

	ID                string     `bun:"id,pk"`
	Template          string     `bun:"template,notnull"`
	ToAddress         string     `bun:"to_address,notnull"`
	ToName            string     `bun:"to_name,notnull"`
	Vars              string     `bun:"vars,notnull"`
	Sensitive         string     `bun:"sensitive,notnull"`
	Status            string     `bun:"status,notnull"`
	Attempts          int        `bun:"attempts,notnull"`
	NextAttemptAt     time.Time  `bun:"next_attempt_at,notnull"`
	ClaimedUntil      *time.Time `bun:"claimed_until"`
	ClaimToken        string     `bun:"claim_token,nullzero"`
	LastError         string     `bun:"last_error,nullzero"`
	ProviderMessageID string     `bun:"provider_message_id,nullzero"`
	CreatedAt         time.Time  `bun:"created_at,notnull"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull"`
	SentAt            *time.Time `bun:"sent_at"`
}

// mailColumns lists the columns RETURNING hands back. The Postgres claim
// joins a CTE, so it qualifies them with the prefix "mo."; SQLite's
// RETURNING takes bare names only.
func mailColumns(prefix string) string {
	cols := []string{"id", "template", "to_address", "to_name", "vars", "sensitive", "status", "attempts",
		"next_attempt_at", "claimed_until", "claim_token", "last_error", "provider_message_id",
		"created_at", "updated_at", "sent_at"}
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ")
}

var mailMsgs = msgs{notFound: "Message not found", conflict: "The message is held by another worker or no longer pending"}

func mailToRow(q message.Queued) (mailRow, error) {
	vars := q.Email.Vars
	if vars == nil {
		vars = map[string]string{}
	}
	cleanVars := make(map[string]string, len(vars))
	for k, v := range vars {
		cleanVars[clean(k)] = clean(v)
	}
	vb, err := json.Marshal(cleanVars)
	if err != nil {
		return mailRow{}, err
	}
	sens := q.Email.Sensitive
	if sens == nil {
		sens = []string{}
	}
	sb, err := json.Marshal(sens)
	if err != nil {
		return mailRow{}, err
	}
	return mailRow{
		ID:                q.ID,
		Template:          clean(q.Email.Template),
		ToAddress:         clean(q.Email.To),
		ToName:            clean(q.Email.ToName),
		Vars:              string(vb),
		Sensitive:         string(sb),
		Status:            string(q.Status),
		Attempts:          q.Attempts,
		NextAttemptAt:     dbTime(q.NextAttemptAt),
		ClaimedUntil:      dbTimePtr(q.ClaimedUntil),
		ClaimToken:        q.ClaimToken,
		LastError:         clean(q.LastError),
		ProviderMessageID: clean(q.ProviderID),
		CreatedAt:         dbTime(q.CreatedAt),
		UpdatedAt:         dbTime(q.UpdatedAt),
		SentAt:            dbTimePtr(q.SentAt),
	}, nil
}

func (r mailRow) queued() (message.Queued, error) {
	var vars map[string]string
	if err := json.Unmarshal([]byte(r.Vars), &vars); err != nil {
		return message.Queued{}, err
	}
	var sens []string
	if err := json.Unmarshal([]byte(r.Sensitive), &sens); err != nil {
		return message.Queued{}, err
	}
	if len(sens) == 0 {
		sens = nil
	}
	return message.Queued{
		ID: r.ID,
		Email: message.Email{
			To: r.ToAddress, ToName: r.ToName, Template: r.Template, Vars: vars, Sensitive: sens,
		},
		Status:        message.Status(r.Status),
		Attempts:      r.Attempts,
		NextAttemptAt: dbTime(r.NextAttemptAt),
		ClaimedUntil:  dbTimePtr(r.ClaimedUntil),
		ClaimToken:    r.ClaimToken,
		LastError:     r.LastError,
		ProviderID:    r.ProviderMessageID,
		CreatedAt:     dbTime(r.CreatedAt),
		UpdatedAt:     dbTime(r.UpdatedAt),
		SentAt:        dbTimePtr(r.SentAt),
	}, nil
}

func rowsToQueued(op string, rows []mailRow) ([]message.Queued, error) {
	out := make([]message.Queued, 0, len(rows))
	for _, r := range rows {
		q, err := r.queued()
		if err != nil {
			return nil, fault.Internalf(op, "decode outbox row %s: %w", r.ID, err)
		}
		out = append(out, q)
	}
	return out, nil
}

// AddMail stores q through the transaction in ctx (so it commits or rolls
// back with the change that caused it). Text that a dialect cannot store
// (NUL bytes, invalid UTF-8) is cleaned first. Conflict when the ID exists.
func (s *Store) AddMail(ctx context.Context, q message.Queued) error {
	const op = "sqlstore.AddMail"
	if q.Status == "" {
		q.Status = message.StatusPending
	}
	row, err := mailToRow(q)
	if err != nil {
		return fault.Internalf(op, "encode outbox row: %w", err)
	}
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, msgs{conflict: "The message already exists"})
	}
	return nil
}

// ClaimMail leases up to limit due pending messages (see ports.Outbox) in
// one statement. On Postgres the due rows are picked with FOR UPDATE SKIP
// LOCKED, so concurrent workers on several nodes each get different rows
// without waiting for one another; on SQLite the single writer makes the
// UPDATE ... RETURNING atomic. The lease end is written to both
// claimed_until and next_attempt_at: a claimed row is simply not due until
// its lease runs out, so one partial index serves the query.
func (s *Store) ClaimMail(ctx context.Context, now, until time.Time, token string, limit int) ([]message.Queued, error) {
	const op = "sqlstore.ClaimMail"
	if limit <= 0 {
		return nil, nil
	}
	now, until = dbTime(now), dbTime(until)
	var rows []mailRow
	var err error
	if s.postgres() {
		err = s.db(ctx).NewRaw(`WITH due AS (
				SELECT id FROM mail_outbox
				WHERE status = 'pending' AND next_attempt_at <= ?
				ORDER BY next_attempt_at, id
				LIMIT ?
				FOR UPDATE SKIP LOCKED
			)
			UPDATE mail_outbox AS mo
			SET claimed_until = ?, next_attempt_at = ?, claim_token = ?, attempts = mo.attempts + 1, updated_at = ?
			FROM due WHERE mo.id = due.id
			RETURNING `+mailColumns("mo."),
			now, limit, until, until, token, now,
		).Scan(ctx, &rows)
	} else {
		err = s.db(ctx).NewRaw(`UPDATE mail_outbox
			SET claimed_until = ?, next_attempt_at = ?, claim_token = ?, attempts = attempts + 1, updated_at = ?
			WHERE id IN (
				SELECT id FROM mail_outbox
				WHERE status = 'pending' AND next_attempt_at <= ?
				ORDER BY next_attempt_at, id
				LIMIT ?
			)
			RETURNING `+mailColumns(""),
			until, until, token, now, now, limit,
		).Scan(ctx, &rows)
	}
	if err != nil && !isNoRows(err) {
		return nil, translate(op, err)
	}
	out, err := rowsToQueued(op, rows)
	if err != nil {
		return nil, err
	}
	// RETURNING keeps no order: hand the batch back oldest first, as claimed.
	sortQueued(out)
	return out, nil
}

// MarkMailSent records delivery and redacts the sensitive values in the
// same transaction (see ports.Outbox).
func (s *Store) MarkMailSent(ctx context.Context, id, token string, at time.Time, providerID string) error {
	const op = "sqlstore.MarkMailSent"
	at = dbTime(at)
	return s.InTx(ctx, func(ctx context.Context) error {
		row, err := s.heldMail(ctx, op, id, token)
		if err != nil {
			return err
		}
		q, err := row.queued()
		if err != nil {
			return fault.Internalf(op, "decode outbox row %s: %w", id, err)
		}
		red, err := mailToRow(message.Queued{Email: q.Email.Redact()})
		if err != nil {
			return fault.Internalf(op, "encode outbox row: %w", err)
		}
		_, err = s.db(ctx).NewUpdate().Model((*mailRow)(nil)).
			Set("status = ?", string(message.StatusSent)).
			Set("sent_at = ?", at).
			Set("provider_message_id = ?", nullIfEmpty(clean(providerID))).
			Set("vars = ?", red.Vars).
			Set("claimed_until = NULL").
			Set("claim_token = NULL").
			Set("last_error = NULL").
			Set("next_attempt_at = ?", at).
			Set("updated_at = ?", at).
			Where("id = ?", id).
			Exec(ctx)
		return translate(op, err)
	})
}

// heldMail reads the row for an update, locking it on Postgres, and checks
// that the claim with token still holds it.
func (s *Store) heldMail(ctx context.Context, op, id, token string) (mailRow, error) {
	var row mailRow
	q := s.db(ctx).NewSelect().Model(&row).Where("mo.id = ?", id)
	if s.postgres() {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return mailRow{}, translateMsg(op, err, mailMsgs)
	}
	if row.Status != string(message.StatusPending) || token == "" || row.ClaimToken != token {
		return mailRow{}, fault.E(op, fault.Conflict, mailMsgs.conflict)
	}
	return row, nil
}

// MarkMailRetry puts a held message back in the queue (see ports.Outbox).
func (s *Store) MarkMailRetry(ctx context.Context, id, token string, next time.Time, lastErr string, at time.Time) error {
	const op = "sqlstore.MarkMailRetry"
	return s.updateHeld(ctx, op, id, token, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("next_attempt_at = ?", dbTime(next)).
			Set("last_error = ?", nullIfEmpty(clean(lastErr))).
			Set("updated_at = ?", dbTime(at))
	})
}

// MarkMailDead gives up on a held message (see ports.Outbox).
func (s *Store) MarkMailDead(ctx context.Context, id, token string, lastErr string, at time.Time) error {
	const op = "sqlstore.MarkMailDead"
	return s.updateHeld(ctx, op, id, token, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("status = ?", string(message.StatusDead)).
			Set("last_error = ?", nullIfEmpty(clean(lastErr))).
			Set("next_attempt_at = ?", dbTime(at)).
			Set("updated_at = ?", dbTime(at))
	})
}

// ReleaseMail hands back an unattempted held message (see ports.Outbox).
func (s *Store) ReleaseMail(ctx context.Context, id, token string, at time.Time) error {
	const op = "sqlstore.ReleaseMail"
	return s.updateHeld(ctx, op, id, token, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("next_attempt_at = ?", dbTime(at)).
			Set("attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END").
			Set("updated_at = ?", dbTime(at))
	})
}

// updateHeld runs one conditional UPDATE on the row still held with token,
// clearing the claim; when it matches nothing it tells NotFound from
// Conflict.
func (s *Store) updateHeld(ctx context.Context, op, id, token string, set func(*bun.UpdateQuery) *bun.UpdateQuery) error {
	q := s.db(ctx).NewUpdate().Model((*mailRow)(nil)).
		Set("claimed_until = NULL").
		Set("claim_token = NULL")
	res, err := set(q).
		Where("id = ?", id).
		Where("status = ?", string(message.StatusPending)).
		Where("claim_token = ?", token).
		Exec(ctx)
	if err != nil {
		return translate(op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return translate(op, err)
	} else if n == 1 {
		return nil
	}
	exists, err := s.db(ctx).NewSelect().Model((*mailRow)(nil)).Where("mo.id = ?", id).Exists(ctx)
	if err != nil {
		return translate(op, err)
	}
	if !exists {
		return fault.E(op, fault.NotFound, mailMsgs.notFound)
	}
	return fault.E(op, fault.Conflict, mailMsgs.conflict)
}

// MailByID returns one message. NotFound when absent.
func (s *Store) MailByID(ctx context.Context, id string) (message.Queued, error) {
	const op = "sqlstore.MailByID"
	var row mailRow
	if err := s.reader(ctx).NewSelect().Model(&row).Where("mo.id = ?", id).Scan(ctx); err != nil {
		return message.Queued{}, translateMsg(op, err, mailMsgs)
	}
	q, err := row.queued()
	if err != nil {
		return message.Queued{}, fault.Internalf(op, "decode outbox row %s: %w", id, err)
	}
	return q, nil
}

// ListMail returns messages newest first by (created_at, id), keyset
// paginated. Limit defaults to 50 and is capped at 200. Invalid for a
// malformed cursor or an unknown status.
func (s *Store) ListMail(ctx context.Context, f message.OutboxFilter) ([]message.Queued, string, error) {
	const op = "sqlstore.ListMail"
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", fault.E(op, fault.Invalid, "Unknown message status")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = outboxDefaultLimit
	}
	limit = min(limit, outboxMaxLimit)
	var rows []mailRow
	q := s.reader(ctx).NewSelect().Model(&rows)
	if f.Status != "" {
		q = q.Where("mo.status = ?", string(f.Status))
	}
	if f.Cursor != "" {
		at, id, ok := decodeKeyset("m1", f.Cursor)
		if !ok {
			return nil, "", fault.E(op, fault.Invalid, "Malformed page cursor")
		}
		q = q.Where("(mo.created_at < ? OR (mo.created_at = ? AND mo.id < ?))", at, at, id)
	}
	q = q.OrderExpr("mo.created_at DESC, mo.id DESC").Limit(int64(limit) + 1)
	if err := q.Scan(ctx); err != nil {
		return nil, "", translate(op, err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = encodeKeyset("m1", dbTime(last.CreatedAt), last.ID)
	}
	out, err := rowsToQueued(op, rows)
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// CountMail counts messages per status.
func (s *Store) CountMail(ctx context.Context) (map[message.Status]int, error) {
	const op = "sqlstore.CountMail"
	var counts []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	err := s.reader(ctx).NewSelect().Model((*mailRow)(nil)).
		ColumnExpr("mo.status AS status, COUNT(*) AS n").
		GroupExpr("mo.status").
		Scan(ctx, &counts)
	if err != nil && !isNoRows(err) {
		return nil, translate(op, err)
	}
	out := map[message.Status]int{message.StatusPending: 0, message.StatusSent: 0, message.StatusDead: 0}
	for _, c := range counts {
		out[message.Status(c.Status)] = c.N
	}
	return out, nil
}

// RetryMail puts a dead or pending message back in the queue (see
// ports.Outbox).
func (s *Store) RetryMail(ctx context.Context, id string, now time.Time) (message.Queued, error) {
	const op = "sqlstore.RetryMail"
	now = dbTime(now)
	var out message.Queued
	err := s.InTx(ctx, func(ctx context.Context) error {
		var row mailRow
		q := s.db(ctx).NewSelect().Model(&row).Where("mo.id = ?", id)
		if s.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return translateMsg(op, err, mailMsgs)
		}
		if row.Status == string(message.StatusSent) {
			return fault.E(op, fault.Conflict, "The message was already sent")
		}
		row.Status = string(message.StatusPending)
		row.Attempts = 0
		row.NextAttemptAt = now
		row.ClaimedUntil = nil
		row.ClaimToken = ""
		row.UpdatedAt = now
		if _, err := s.db(ctx).NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return translate(op, err)
		}
		var err error
		out, err = row.queued()
		if err != nil {
			return fault.Internalf(op, "decode outbox row %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return message.Queued{}, err
	}
	return out, nil
}

// PurgeMail deletes sent and dead messages last updated before `before`.
func (s *Store) PurgeMail(ctx context.Context, before time.Time) (int, error) {
	const op = "sqlstore.PurgeMail"
	res, err := s.db(ctx).NewDelete().Model((*mailRow)(nil)).
		Where("status IN (?, ?)", string(message.StatusSent), string(message.StatusDead)).
		Where("updated_at < ?", dbTime(before)).
		Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(op, err)
	}
	return int(n), nil
}

// sortQueued orders a claimed batch by creation time and ID, the order in
// which the messages were queued (the claim overwrote next_attempt_at).
func sortQueued(qs []message.Queued) {
	slices.SortFunc(qs, func(a, b message.Queued) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// isNoRows reports an empty result where rows were scanned.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// nullIfEmpty stores "" as NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
