package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// Admin user listing page sizes.
const (
	userListDefaultLimit = 20
	userListMaxLimit     = 100
)

// ClaimFirstUser inserts the single row of first_user_claim. The primary
// key decides: a concurrent second insert waits for the first transaction
// and then changes nothing (ON CONFLICT DO NOTHING), so exactly one caller
// gets true. An installation migrated with users already in it starts
// claimed (migration 00003).
func (s *Store) ClaimFirstUser(ctx context.Context, userID string, at time.Time) (bool, error) {
	const op = "sqlstore.ClaimFirstUser"
	res, err := s.db(ctx).NewRaw(
		"INSERT INTO first_user_claim (id, user_id, claimed_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
		userID, dbTime(at),
	).Exec(ctx)
	if err != nil {
		return false, translate(op, err)
	}
	n, err := affected(op, res)
	return n == 1, err
}

// UserByIDAny returns a user, deleted or not. NotFound when absent.
func (s *Store) UserByIDAny(ctx context.Context, id string) (identity.User, error) {
	const op = "sqlstore.UserByIDAny"
	var row userRow
	if err := s.reader(ctx).NewSelect().Model(&row).Where("u.id = ?", id).Scan(ctx); err != nil {
		return identity.User{}, translateMsg(op, err, userMsgs)
	}
	return row.user(), nil
}

// UserByEmailAny returns the user with that email (compared lower-cased),
// deleted or not: the live one first, otherwise the most recently deleted.
// NotFound when absent.
func (s *Store) UserByEmailAny(ctx context.Context, email string) (identity.User, error) {
	const op = "sqlstore.UserByEmailAny"
	var row userRow
	err := s.reader(ctx).NewSelect().Model(&row).Where("u.email = ?", foldEmail(email)).
		OrderExpr("u.deleted_at IS NOT NULL, u.deleted_at DESC, u.id").Limit(1).Scan(ctx)
	if err != nil {
		return identity.User{}, translateMsg(op, err, userMsgs)
	}
	return row.user(), nil
}

// ListUsers returns one page of users matching q, by email then ID, and
// the total number of matches. Limit defaults to 20 and is capped at 100.
func (s *Store) ListUsers(ctx context.Context, q ports.UserQuery) ([]identity.User, int, error) {
	const op = "sqlstore.ListUsers"
	if !q.Unscoped && len(q.OrgIDs) == 0 {
		return []identity.User{}, 0, nil
	}
	limit := q.Limit
	if limit <= 0 {
		limit = userListDefaultLimit
	}
	limit = min(limit, userListMaxLimit)
	var rows []userRow
	sel := s.reader(ctx).NewSelect().Model(&rows)
	switch {
	case q.OnlyDeleted:
		sel = sel.Where("u.deleted_at IS NOT NULL")
	case q.Status != "":
		sel = sel.Where("u.deleted_at IS NULL").Where("u.status = ?", string(q.Status))
	case !q.IncludeDeleted:
		sel = sel.Where("u.deleted_at IS NULL")
	}
	if term := strings.TrimSpace(q.Search); term != "" {
		pat := "%" + likeEscape(strings.ToLower(clean(term))) + "%"
		sel = sel.Where(`(u.email LIKE ? ESCAPE '\' OR lower(u.full_name) LIKE ? ESCAPE '\')`, pat, pat)
	}
	if !q.Unscoped {
		// Members of the organizations: live ones, and deleted users whose
		// membership was removed with the account.
		sel = sel.Where(`EXISTS (SELECT 1 FROM organization_members m
			JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
			WHERE m.user_id = u.id AND m.organization_id IN (?)
			AND ((u.deleted_at IS NULL AND m.deleted_at IS NULL) OR (u.deleted_at IS NOT NULL AND m.deleted_at = u.deleted_at)))`,
			bun.List(q.OrgIDs))
	}
	n, err := sel.OrderExpr("u.email, u.id").Limit(int64(limit)).Offset(int64(max(q.Offset, 0))).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, translate(op, err)
	}
	out := make([]identity.User, len(rows))
	for i, r := range rows {
		out[i] = r.user()
	}
	return out, int(n), nil
}

// likeEscape escapes LIKE's wildcards and its escape character.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// RestoreUser undoes a soft deletion. NotFound when absent or not deleted;
// Conflict when a live user has taken the email since.
func (s *Store) RestoreUser(ctx context.Context, id string, at time.Time) (identity.User, error) {
	const op = "sqlstore.RestoreUser"
	var out identity.User
	err := s.InTx(ctx, func(ctx context.Context) error {
		var row userRow
		q := s.db(ctx).NewSelect().Model(&row).Where("u.id = ?", id).Where("u.deleted_at IS NOT NULL")
		if s.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return translateMsg(op, err, msgs{notFound: "Deleted user not found"})
		}
		row.DeletedAt, row.UpdatedAt = nil, dbTime(at)
		if _, err := s.db(ctx).NewUpdate().Model(&row).Column("deleted_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, userMsgs)
		}
		out = row.user()
		return nil
	})
	if err != nil {
		return identity.User{}, err
	}
	return out, nil
}

// HardDeleteUser removes the user row; the schema's foreign keys remove
// what belongs to it and empty references to it. NotFound when absent.
func (s *Store) HardDeleteUser(ctx context.Context, id string) error {
	const op = "sqlstore.HardDeleteUser"
	res, err := s.db(ctx).NewDelete().Model((*userRow)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		if fault.KindOf(translate(op, err)) == fault.NotFound {
			// A foreign key without a cascade rule refused: a bug in a
			// migration, not a missing user.
			return fault.Internalf(op, "delete user: %w", err)
		}
		return translate(op, err)
	}
	return affectedOne(op, res, userMsgs.notFound)
}
