package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/org"
)

// inviteRow is a row of org_invite_tokens.
type inviteRow struct {
	bun.BaseModel `bun:"table:org_invite_tokens,alias:i"`

	ID          string     `bun:"id,pk"`
	OrgID       string     `bun:"organization_id,notnull"`
	InvitedByID string     `bun:"invited_by_id,nullzero"`
	Email       string     `bun:"email,notnull"`
	Role        string     `bun:"role,notnull"`
	TokenHash   string     `bun:"token_hash,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	ExpiresAt   time.Time  `bun:"expires_at,notnull"`
	AcceptedAt  *time.Time `bun:"accepted_at"`
	AcceptedBy  string     `bun:"accepted_by_id,nullzero"`
	CancelledAt *time.Time `bun:"cancelled_at"`
}

func (r inviteRow) invite() org.Invite {
	return org.Invite{
		ID: r.ID, OrgID: r.OrgID, InvitedByID: r.InvitedByID, Email: r.Email, Role: org.Role(r.Role),
		TokenHash: r.TokenHash, CreatedAt: dbTime(r.CreatedAt), ExpiresAt: dbTime(r.ExpiresAt),
		AcceptedAt: dbTimePtr(r.AcceptedAt), AcceptedBy: r.AcceptedBy, CancelledAt: dbTimePtr(r.CancelledAt),
	}
}

// inviteSummaryRow is an invite joined with its organization and inviter.
type inviteSummaryRow struct {
	inviteRow   `bun:",extend"`
	OrgName     string `bun:"o_name"`
	OrgSlug     string `bun:"o_slug"`
	InviterName string `bun:"inviter_name"`
}

func (r inviteSummaryRow) summary() org.InviteSummary {
	return org.InviteSummary{Invite: r.invite(), OrgName: r.OrgName, OrgSlug: r.OrgSlug, InviterName: r.InviterName}
}

var inviteMsgs = msgs{notFound: "Invitation not found or no longer valid", conflict: "The invitation token already exists"}

// CreateInvite stores inv, its email lower-cased. Conflict when the token
// hash (or ID) exists; NotFound when the organization does not exist.
func (s *Store) CreateInvite(ctx context.Context, inv org.Invite) error {
	const op = "sqlstore.CreateInvite"
	row := inviteRow{
		ID: inv.ID, OrgID: inv.OrgID, InvitedByID: inv.InvitedByID, Email: foldEmail(inv.Email), Role: string(inv.Role),
		TokenHash: inv.TokenHash, CreatedAt: dbTime(inv.CreatedAt), ExpiresAt: dbTime(inv.ExpiresAt),
		AcceptedAt: dbTimePtr(inv.AcceptedAt), AcceptedBy: inv.AcceptedBy, CancelledAt: dbTimePtr(inv.CancelledAt),
	}
	if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return translateMsg(op, err, msgs{notFound: "Organization not found", conflict: inviteMsgs.conflict})
	}
	return nil
}

// pendingInvites selects summaries of invites pending at now.
func (s *Store) pendingInvites(ctx context.Context, rows *[]inviteSummaryRow, now time.Time) *bun.SelectQuery {
	return s.reader(ctx).NewSelect().Model(rows).
		ColumnExpr("i.*").
		ColumnExpr("o.name AS o_name, o.slug AS o_slug, COALESCE(iu.full_name, '') AS inviter_name").
		Join("JOIN organizations AS o ON o.id = i.organization_id AND o.deleted_at IS NULL").
		Join("LEFT JOIN users AS iu ON iu.id = i.invited_by_id").
		Where("i.accepted_at IS NULL").Where("i.cancelled_at IS NULL").Where("i.expires_at > ?", dbTime(now))
}

// PendingInvite returns the invite with that token hash if it is pending
// at now. NotFound otherwise.
func (s *Store) PendingInvite(ctx context.Context, tokenHash string, now time.Time) (org.InviteSummary, error) {
	const op = "sqlstore.PendingInvite"
	var rows []inviteSummaryRow
	if err := s.pendingInvites(ctx, &rows, now).Where("i.token_hash = ?", tokenHash).Limit(1).Scan(ctx); err != nil {
		return org.InviteSummary{}, translateMsg(op, err, inviteMsgs)
	}
	if len(rows) == 0 {
		return org.InviteSummary{}, translateMsg(op, sql.ErrNoRows, inviteMsgs)
	}
	return rows[0].summary(), nil
}

// AcceptInvite marks the pending invite accepted in one conditional
// UPDATE ... RETURNING, so of concurrent calls exactly one succeeds.
// NotFound when the invite is not pending.
func (s *Store) AcceptInvite(ctx context.Context, tokenHash, userID string, now time.Time) (org.Invite, error) {
	const op = "sqlstore.AcceptInvite"
	now = dbTime(now)
	var row inviteRow
	err := s.db(ctx).NewRaw(
		`UPDATE org_invite_tokens SET accepted_at = ?, accepted_by_id = ?
		WHERE token_hash = ? AND accepted_at IS NULL AND cancelled_at IS NULL AND expires_at > ?
		AND EXISTS (SELECT 1 FROM organizations ao WHERE ao.id = organization_id AND ao.deleted_at IS NULL)
		RETURNING id, organization_id, invited_by_id, email, role, token_hash, created_at, expires_at, accepted_at, accepted_by_id, cancelled_at`,
		now, userID, tokenHash, now,
	).Scan(ctx, &row)
	if err != nil {
		return org.Invite{}, translateMsg(op, err, inviteMsgs)
	}
	return row.invite(), nil
}

// ListInvites lists the organization's pending invites, newest first.
func (s *Store) ListInvites(ctx context.Context, orgID string, now time.Time) ([]org.InviteSummary, error) {
	const op = "sqlstore.ListInvites"
	var rows []inviteSummaryRow
	if err := s.pendingInvites(ctx, &rows, now).Where("i.organization_id = ?", orgID).
		OrderExpr("i.created_at DESC, i.id DESC").Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	return summaries(rows), nil
}

// InvitesForEmail lists the pending invites for an address, newest first.
func (s *Store) InvitesForEmail(ctx context.Context, email string, now time.Time) ([]org.InviteSummary, error) {
	const op = "sqlstore.InvitesForEmail"
	var rows []inviteSummaryRow
	if err := s.pendingInvites(ctx, &rows, now).Where("i.email = ?", foldEmail(email)).
		OrderExpr("i.created_at DESC, i.id DESC").Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	return summaries(rows), nil
}

func summaries(rows []inviteSummaryRow) []org.InviteSummary {
	out := make([]org.InviteSummary, len(rows))
	for i, r := range rows {
		out[i] = r.summary()
	}
	return out
}

// CancelInvite cancels one pending invite of the organization. NotFound
// when absent, of another organization or not pending.
func (s *Store) CancelInvite(ctx context.Context, orgID, id string, at time.Time) (org.Invite, error) {
	const op = "sqlstore.CancelInvite"
	at = dbTime(at)
	var row inviteRow
	err := s.db(ctx).NewRaw(
		`UPDATE org_invite_tokens SET cancelled_at = ?
		WHERE id = ? AND organization_id = ? AND accepted_at IS NULL AND cancelled_at IS NULL AND expires_at > ?
		RETURNING id, organization_id, invited_by_id, email, role, token_hash, created_at, expires_at, accepted_at, accepted_by_id, cancelled_at`,
		at, id, orgID, at,
	).Scan(ctx, &row)
	if err != nil {
		return org.Invite{}, translateMsg(op, err, inviteMsgs)
	}
	return row.invite(), nil
}

// CancelEmailInvites cancels the organization's pending invites for an
// address.
func (s *Store) CancelEmailInvites(ctx context.Context, orgID, email string, at time.Time) (int, error) {
	return s.cancelInvites(ctx, "sqlstore.CancelEmailInvites", orgID, foldEmail(email), at)
}

// CancelOrgInvites cancels every pending invite of the organization.
func (s *Store) CancelOrgInvites(ctx context.Context, orgID string, at time.Time) (int, error) {
	return s.cancelInvites(ctx, "sqlstore.CancelOrgInvites", orgID, "", at)
}

func (s *Store) cancelInvites(ctx context.Context, op, orgID, email string, at time.Time) (int, error) {
	at = dbTime(at)
	q := s.db(ctx).NewUpdate().Model((*inviteRow)(nil)).
		Set("cancelled_at = ?", at).
		Where("organization_id = ?", orgID).Where("accepted_at IS NULL").Where("cancelled_at IS NULL").
		Where("expires_at > ?", at)
	if email != "" {
		q = q.Where("email = ?", email)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}
