package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// memberRow is a row of organization_members.
type memberRow struct {
	bun.BaseModel `bun:"table:organization_members,alias:m"`

	ID          string     `bun:"id,pk"`
	OrgID       string     `bun:"organization_id,notnull"`
	UserID      string     `bun:"user_id,notnull"`
	Role        string     `bun:"role,notnull"`
	InvitedByID string     `bun:"invited_by_id,nullzero"`
	InvitedAt   *time.Time `bun:"invited_at"`
	JoinedAt    time.Time  `bun:"joined_at,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	UpdatedAt   time.Time  `bun:"updated_at,notnull"`
	DeletedAt   *time.Time `bun:"deleted_at"`
}

func memberToRow(m org.Membership) memberRow {
	return memberRow{
		ID: m.ID, OrgID: m.OrgID, UserID: m.UserID, Role: string(m.Role), InvitedByID: m.InvitedByID,
		InvitedAt: dbTimePtr(m.InvitedAt), JoinedAt: dbTime(m.JoinedAt), CreatedAt: dbTime(m.CreatedAt),
		UpdatedAt: dbTime(m.UpdatedAt), DeletedAt: dbTimePtr(m.DeletedAt),
	}
}

func (r memberRow) membership() org.Membership {
	return org.Membership{
		ID: r.ID, OrgID: r.OrgID, UserID: r.UserID, Role: org.Role(r.Role), InvitedByID: r.InvitedByID,
		InvitedAt: dbTimePtr(r.InvitedAt), JoinedAt: dbTime(r.JoinedAt), CreatedAt: dbTime(r.CreatedAt),
		UpdatedAt: dbTime(r.UpdatedAt), DeletedAt: dbTimePtr(r.DeletedAt),
	}
}

var memberMsgs = msgs{notFound: "Member not found", conflict: "The user is already a member of this organization"}

// liveMember is the condition for a live membership (alias m) of a live
// user in a live organization.
const liveMember = `m.deleted_at IS NULL
	AND EXISTS (SELECT 1 FROM users lu WHERE lu.id = m.user_id AND lu.deleted_at IS NULL)
	AND EXISTS (SELECT 1 FROM organizations lo WHERE lo.id = m.organization_id AND lo.deleted_at IS NULL)`

// AddMember inserts m or revives the (org, user) row of a former member,
// keeping its ID. Conflict when the user is a live member already;
// NotFound when the organization or the user does not exist.
func (s *Store) AddMember(ctx context.Context, m org.Membership) (org.Membership, error) {
	const op = "sqlstore.AddMember"
	var out org.Membership
	err := s.InTx(ctx, func(ctx context.Context) error {
		var old memberRow
		q := s.db(ctx).NewSelect().Model(&old).
			Where("m.organization_id = ?", m.OrgID).Where("m.user_id = ?", m.UserID)
		if s.postgres() {
			q = q.For("UPDATE")
		}
		err := q.Scan(ctx)
		if fault.KindOf(translate(op, err)) == fault.NotFound {
			row := memberToRow(m)
			row.DeletedAt = nil
			if _, err := s.db(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
				return translateMsg(op, err, msgs{notFound: "Organization or user not found", conflict: memberMsgs.conflict})
			}
			out = row.membership()
			return nil
		}
		if err != nil {
			return translate(op, err)
		}
		if old.DeletedAt == nil {
			return fault.E(op, fault.Conflict, memberMsgs.conflict)
		}
		row := memberToRow(m)
		row.ID, row.DeletedAt = old.ID, nil
		if _, err := s.db(ctx).NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return translateMsg(op, err, memberMsgs)
		}
		out = row.membership()
		return nil
	})
	if err != nil {
		return org.Membership{}, err
	}
	return out, nil
}

// Member returns a live membership. NotFound otherwise.
func (s *Store) Member(ctx context.Context, orgID, userID string) (org.Membership, error) {
	const op = "sqlstore.Member"
	var row memberRow
	err := s.reader(ctx).NewSelect().Model(&row).
		Where("m.organization_id = ?", orgID).Where("m.user_id = ?", userID).Where(liveMember).
		Scan(ctx)
	if err != nil {
		return org.Membership{}, translateMsg(op, err, memberMsgs)
	}
	return row.membership(), nil
}

// Role returns a live member's role. NotFound otherwise.
func (s *Store) Role(ctx context.Context, orgID, userID string) (org.Role, error) {
	m, err := s.Member(ctx, orgID, userID)
	if err != nil {
		return "", fault.Wrap("sqlstore.Role", fault.NotFound, err)
	}
	return m.Role, nil
}

// SetMemberRole changes a live member's role. NotFound when not a live member.
func (s *Store) SetMemberRole(ctx context.Context, orgID, userID string, r org.Role, at time.Time) (org.Membership, error) {
	const op = "sqlstore.SetMemberRole"
	var out org.Membership
	err := s.InTx(ctx, func(ctx context.Context) error {
		m, err := s.Member(ctx, orgID, userID)
		if err != nil {
			return err
		}
		at := dbTime(at)
		if _, err := s.db(ctx).NewUpdate().Model((*memberRow)(nil)).
			Set("role = ?", string(r)).Set("updated_at = ?", at).
			Where("id = ?", m.ID).Exec(ctx); err != nil {
			return translateMsg(op, err, memberMsgs)
		}
		m.Role, m.UpdatedAt = r, at
		out = m
		return nil
	})
	if err != nil {
		return org.Membership{}, err
	}
	return out, nil
}

// RemoveMember soft-deletes a live membership. NotFound when not a live member.
func (s *Store) RemoveMember(ctx context.Context, orgID, userID string, at time.Time) error {
	const op = "sqlstore.RemoveMember"
	return s.InTx(ctx, func(ctx context.Context) error {
		m, err := s.Member(ctx, orgID, userID)
		if err != nil {
			return err
		}
		at := dbTime(at)
		_, err = s.db(ctx).NewUpdate().Model((*memberRow)(nil)).
			Set("deleted_at = ?", at).Set("updated_at = ?", at).
			Where("id = ?", m.ID).Exec(ctx)
		return translateMsg(op, err, memberMsgs)
	})
}

// memberUserRow is a membership joined with its user.
type memberUserRow struct {
	memberRow     `bun:",extend"`
	Email         string `bun:"u_email"`
	FullName      string `bun:"u_full_name"`
	AvatarURL     string `bun:"u_avatar_url"`
	EmailVerified bool   `bun:"u_email_verified"`
	Status        string `bun:"u_status"`
}

// roleRank orders roles in SQL, highest first.
const roleRank = `CASE m.role WHEN 'owner' THEN 1 WHEN 'admin' THEN 2 WHEN 'member' THEN 3 ELSE 4 END`

// ListMembers returns one page of live members with their users, in one
// joined query, highest role first, then by email, and the total count.
func (s *Store) ListMembers(ctx context.Context, orgID string, q ports.MemberQuery) ([]org.MemberUser, int, error) {
	const op = "sqlstore.ListMembers"
	var rows []memberUserRow
	sel := s.reader(ctx).NewSelect().Model(&rows).
		ColumnExpr("m.*").
		ColumnExpr("u.email AS u_email, u.full_name AS u_full_name, COALESCE(u.avatar_url, '') AS u_avatar_url").
		ColumnExpr("u.email_verified AS u_email_verified, u.status AS u_status").
		Join("JOIN users AS u ON u.id = m.user_id AND u.deleted_at IS NULL").
		Join("JOIN organizations AS o ON o.id = m.organization_id AND o.deleted_at IS NULL").
		Where("m.organization_id = ?", orgID).Where("m.deleted_at IS NULL")
	if q.Role != "" {
		sel = sel.Where("m.role = ?", string(q.Role))
	}
	sel = sel.OrderExpr(roleRank + ", u.email, m.id")
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit)).Offset(int64(max(q.Offset, 0)))
	}
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return nil, 0, translate(op, err)
	}
	out := make([]org.MemberUser, len(rows))
	for i, r := range rows {
		out[i] = org.MemberUser{
			Membership: r.membership(), Email: r.Email, FullName: r.FullName, AvatarURL: r.AvatarURL,
			EmailVerified: r.EmailVerified, Status: r.Status,
		}
	}
	return out, int(n), nil
}

// roleCount is one row of CountMembers.
type roleCount struct {
	Role string `bun:"role"`
	N    int    `bun:"n"`
}

// CountMembers counts the live members per role.
func (s *Store) CountMembers(ctx context.Context, orgID string) (map[org.Role]int, error) {
	const op = "sqlstore.CountMembers"
	var rows []roleCount
	err := s.reader(ctx).NewSelect().Model((*memberRow)(nil)).
		ColumnExpr("m.role AS role, COUNT(*) AS n").
		Where("m.organization_id = ?", orgID).Where(liveMember).
		GroupExpr("m.role").
		Scan(ctx, &rows)
	if err != nil {
		return nil, translate(op, err)
	}
	out := map[org.Role]int{}
	for _, r := range rows {
		out[org.Role(r.Role)] = r.N
	}
	return out, nil
}

// userOrgRow is a membership joined with its organization.
type userOrgRow struct {
	memberRow  `bun:",extend"`
	OName      string    `bun:"o_name"`
	OSlug      string    `bun:"o_slug"`
	ODesc      string    `bun:"o_description"`
	OLogo      string    `bun:"o_logo_url"`
	OActive    bool      `bun:"o_is_active"`
	OCreatedAt time.Time `bun:"o_created_at"`
	OUpdatedAt time.Time `bun:"o_updated_at"`
}

// OrgsOfUser lists the live organizations of a live member, by name.
func (s *Store) OrgsOfUser(ctx context.Context, userID string) ([]org.UserOrg, error) {
	const op = "sqlstore.OrgsOfUser"
	var rows []userOrgRow
	err := s.reader(ctx).NewSelect().Model(&rows).
		ColumnExpr("m.*").
		ColumnExpr("o.name AS o_name, o.slug AS o_slug, COALESCE(o.description, '') AS o_description").
		ColumnExpr("COALESCE(o.logo_url, '') AS o_logo_url, o.is_active AS o_is_active").
		ColumnExpr("o.created_at AS o_created_at, o.updated_at AS o_updated_at").
		Join("JOIN organizations AS o ON o.id = m.organization_id AND o.deleted_at IS NULL").
		Join("JOIN users AS u ON u.id = m.user_id AND u.deleted_at IS NULL").
		Where("m.user_id = ?", userID).Where("m.deleted_at IS NULL").
		OrderExpr("o.name, o.id").
		Scan(ctx)
	if err != nil {
		return nil, translate(op, err)
	}
	out := make([]org.UserOrg, len(rows))
	for i, r := range rows {
		out[i] = org.UserOrg{
			Membership: r.membership(),
			Org: org.Organization{
				ID: r.OrgID, Name: r.OName, Slug: r.OSlug, Description: r.ODesc, LogoURL: r.OLogo, IsActive: r.OActive,
				CreatedAt: dbTime(r.OCreatedAt), UpdatedAt: dbTime(r.OUpdatedAt),
			},
		}
	}
	return out, nil
}

// OrgIDsAdministeredBy returns the IDs of the live organizations where the
// user is a live owner or admin, sorted.
func (s *Store) OrgIDsAdministeredBy(ctx context.Context, userID string) ([]string, error) {
	const op = "sqlstore.OrgIDsAdministeredBy"
	ids := []string{}
	err := s.reader(ctx).NewSelect().Model((*memberRow)(nil)).
		Column("m.organization_id").
		Where("m.user_id = ?", userID).Where("m.role IN (?)", bun.List([]string{string(org.Owner), string(org.Admin)})).
		Where(liveMember).
		OrderExpr("m.organization_id").
		Scan(ctx, &ids)
	if err != nil {
		return nil, translate(op, err)
	}
	return ids, nil
}

// belongs is the condition for a membership (alias m) that counts for the
// admin views: live, or removed together with its deleted user.
const belongs = `EXISTS (SELECT 1 FROM organizations bo WHERE bo.id = m.organization_id AND bo.deleted_at IS NULL)
	AND EXISTS (SELECT 1 FROM users bu WHERE bu.id = m.user_id
		AND ((bu.deleted_at IS NULL AND m.deleted_at IS NULL) OR (bu.deleted_at IS NOT NULL AND m.deleted_at = bu.deleted_at)))`

// MembershipsOfUsers returns the memberships that count for the admin
// views of the given users, in the given organizations (all when orgIDs
// is nil), in one query.
func (s *Store) MembershipsOfUsers(ctx context.Context, userIDs, orgIDs []string) ([]org.Membership, error) {
	const op = "sqlstore.MembershipsOfUsers"
	if len(userIDs) == 0 || (orgIDs != nil && len(orgIDs) == 0) {
		return []org.Membership{}, nil
	}
	var rows []memberRow
	q := s.reader(ctx).NewSelect().Model(&rows).Where("m.user_id IN (?)", bun.List(userIDs)).Where(belongs)
	if orgIDs != nil {
		q = q.Where("m.organization_id IN (?)", bun.List(orgIDs))
	}
	if err := q.OrderExpr("m.user_id, " + roleRank + ", m.organization_id").Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	out := make([]org.Membership, len(rows))
	for i, r := range rows {
		out[i] = r.membership()
	}
	return out, nil
}

// RemoveOrgMembers soft-deletes every live membership of the organization.
func (s *Store) RemoveOrgMembers(ctx context.Context, orgID string, at time.Time) (int, error) {
	const op = "sqlstore.RemoveOrgMembers"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*memberRow)(nil)).
		Set("deleted_at = ?", at).Set("updated_at = ?", at).
		Where("organization_id = ?", orgID).Where("deleted_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}

// RemoveUserMemberships soft-deletes every live membership of the user.
func (s *Store) RemoveUserMemberships(ctx context.Context, userID string, at time.Time) (int, error) {
	const op = "sqlstore.RemoveUserMemberships"
	at = dbTime(at)
	res, err := s.db(ctx).NewUpdate().Model((*memberRow)(nil)).
		Set("deleted_at = ?", at).Set("updated_at = ?", at).
		Where("user_id = ?", userID).Where("deleted_at IS NULL").
		Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}

// RestoreUserMemberships revives the user's memberships in live
// organizations removed at exactly removedAt.
func (s *Store) RestoreUserMemberships(ctx context.Context, userID string, removedAt, now time.Time) (int, error) {
	const op = "sqlstore.RestoreUserMemberships"
	res, err := s.db(ctx).NewUpdate().Model((*memberRow)(nil)).
		Set("deleted_at = NULL").Set("updated_at = ?", dbTime(now)).
		Where("user_id = ?", userID).Where("deleted_at = ?", dbTime(removedAt)).
		// organization_id is unqualified on purpose: organizations has no
		// such column, so it names the updated row in either dialect.
		Where("EXISTS (SELECT 1 FROM organizations ro WHERE ro.id = organization_id AND ro.deleted_at IS NULL)").
		Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}
