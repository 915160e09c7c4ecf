package sqlstore

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/ports"
)

var (
	_ ports.MFAPolicyStore = (*Store)(nil)
	_ ports.Lease          = (*Store)(nil)
)

// orgPolicyRow is a row of organization_security_policies.
type orgPolicyRow struct {
	bun.BaseModel `bun:"table:organization_security_policies,alias:osp"`

	OrgID       string    `bun:"organization_id,pk"`
	Mode        string    `bun:"mfa_policy_mode,notnull"`
	GraceDays   int       `bun:"mfa_grace_period_days,notnull"`
	NotifyDays  int       `bun:"notify_days_before,notnull"`
	Version     int       `bun:"policy_version,notnull"`
	UpdatedByID string    `bun:"updated_by_user_id,nullzero"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

// overrideRow is a row of user_security_policies.
type overrideRow struct {
	bun.BaseModel `bun:"table:user_security_policies,alias:usp"`

	OrgID         string    `bun:"organization_id,pk"`
	UserID        string    `bun:"user_id,pk"`
	Mode          string    `bun:"mfa_override_mode,notnull"`
	ForceTOTP     bool      `bun:"force_totp,notnull"`
	ForceWebAuthn bool      `bun:"force_webauthn,notnull"`
	UpdatedByID   string    `bun:"updated_by_user_id,nullzero"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	UpdatedAt     time.Time `bun:"updated_at,notnull"`
}

// complianceRow is a row of mfa_policy_compliance.
type complianceRow struct {
	bun.BaseModel `bun:"table:mfa_policy_compliance,alias:mpc"`

	OrgID             string     `bun:"organization_id,pk"`
	UserID            string     `bun:"user_id,pk"`
	Status            string     `bun:"status,notnull"`
	PolicyVersion     int        `bun:"policy_version,notnull"`
	AppliedAt         time.Time  `bun:"applied_at,notnull"`
	DeadlineAt        *time.Time `bun:"deadline_at"`
	CompliantAt       *time.Time `bun:"compliant_at"`
	SuspendedAt       *time.Time `bun:"suspended_at"`
	LastNotifiedAt    *time.Time `bun:"last_notified_at"`
	NotificationCount int        `bun:"notification_count,notnull"`
	CreatedAt         time.Time  `bun:"created_at,notnull"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull"`
}

func (r complianceRow) compliance() mfa.Compliance {
	return mfa.Compliance{
		OrgID: r.OrgID, UserID: r.UserID, Status: mfa.Status(r.Status), PolicyVersion: r.PolicyVersion,
		AppliedAt: dbTime(r.AppliedAt), DeadlineAt: dbTimePtr(r.DeadlineAt), CompliantAt: dbTimePtr(r.CompliantAt),
		SuspendedAt: dbTimePtr(r.SuspendedAt), LastNotifiedAt: dbTimePtr(r.LastNotifiedAt), NotificationCount: r.NotificationCount,
		CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt),
	}
}

// leaseRow is a row of job_leases.
type leaseRow struct {
	bun.BaseModel `bun:"table:job_leases,alias:jl"`

	Name      string    `bun:"name,pk"`
	Holder    string    `bun:"holder,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

var (
	policyMsgs     = msgs{notFound: "No security policy is set"}
	overrideMsgs   = msgs{notFound: "No override is set"}
	complianceMsgs = msgs{notFound: "No compliance record"}
	refMsgs        = msgs{notFound: "Organization or user not found"}
)

// OrgMFAPolicy returns the stored policy. NotFound when none was set.
func (s *Store) OrgMFAPolicy(ctx context.Context, orgID string) (mfa.Policy, error) {
	const op = "sqlstore.OrgMFAPolicy"
	var r orgPolicyRow
	if err := s.reader(ctx).NewSelect().Model(&r).Where("osp.organization_id = ?", orgID).Scan(ctx); err != nil {
		return mfa.Policy{}, translateMsg(op, err, policyMsgs)
	}
	return mfa.Policy{OrgID: r.OrgID, Mode: mfa.Mode(r.Mode), GraceDays: r.GraceDays, NotifyDaysBefore: r.NotifyDays,
		Version: r.Version, UpdatedByID: r.UpdatedByID, CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt)}, nil
}

// PutOrgMFAPolicy creates or replaces the policy. NotFound when the
// organization does not exist.
func (s *Store) PutOrgMFAPolicy(ctx context.Context, p mfa.Policy) error {
	const op = "sqlstore.PutOrgMFAPolicy"
	r := orgPolicyRow{OrgID: p.OrgID, Mode: string(p.Mode), GraceDays: p.GraceDays, NotifyDays: p.NotifyDaysBefore,
		Version: p.Version, UpdatedByID: p.UpdatedByID, CreatedAt: dbTime(p.CreatedAt), UpdatedAt: dbTime(p.UpdatedAt)}
	_, err := s.db(ctx).NewInsert().Model(&r).On("CONFLICT (organization_id) DO UPDATE").
		Set("mfa_policy_mode = EXCLUDED.mfa_policy_mode").
		Set("mfa_grace_period_days = EXCLUDED.mfa_grace_period_days").
		Set("notify_days_before = EXCLUDED.notify_days_before").
		Set("policy_version = EXCLUDED.policy_version").
		Set("updated_by_user_id = EXCLUDED.updated_by_user_id").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return translateMsg(op, err, refMsgs)
}

// MFAOverride returns a user's override. NotFound when none.
func (s *Store) MFAOverride(ctx context.Context, orgID, userID string) (mfa.Override, error) {
	const op = "sqlstore.MFAOverride"
	var r overrideRow
	err := s.reader(ctx).NewSelect().Model(&r).Where("usp.organization_id = ?", orgID).Where("usp.user_id = ?", userID).Scan(ctx)
	if err != nil {
		return mfa.Override{}, translateMsg(op, err, overrideMsgs)
	}
	return mfa.Override{OrgID: r.OrgID, UserID: r.UserID, Mode: mfa.OverrideMode(r.Mode), ForceTOTP: r.ForceTOTP,
		ForceWebAuthn: r.ForceWebAuthn, UpdatedByID: r.UpdatedByID, CreatedAt: dbTime(r.CreatedAt), UpdatedAt: dbTime(r.UpdatedAt)}, nil
}

// PutMFAOverride creates or replaces an override.
func (s *Store) PutMFAOverride(ctx context.Context, o mfa.Override) error {
	const op = "sqlstore.PutMFAOverride"
	r := overrideRow{OrgID: o.OrgID, UserID: o.UserID, Mode: string(o.Mode), ForceTOTP: o.ForceTOTP, ForceWebAuthn: o.ForceWebAuthn,
		UpdatedByID: o.UpdatedByID, CreatedAt: dbTime(o.CreatedAt), UpdatedAt: dbTime(o.UpdatedAt)}
	_, err := s.db(ctx).NewInsert().Model(&r).On("CONFLICT (organization_id, user_id) DO UPDATE").
		Set("mfa_override_mode = EXCLUDED.mfa_override_mode").
		Set("force_totp = EXCLUDED.force_totp").
		Set("force_webauthn = EXCLUDED.force_webauthn").
		Set("updated_by_user_id = EXCLUDED.updated_by_user_id").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return translateMsg(op, err, refMsgs)
}

// MFACompliance returns one record. NotFound when absent.
func (s *Store) MFACompliance(ctx context.Context, orgID, userID string) (mfa.Compliance, error) {
	const op = "sqlstore.MFACompliance"
	var r complianceRow
	err := s.reader(ctx).NewSelect().Model(&r).Where("mpc.organization_id = ?", orgID).Where("mpc.user_id = ?", userID).Scan(ctx)
	if err != nil {
		return mfa.Compliance{}, translateMsg(op, err, complianceMsgs)
	}
	return r.compliance(), nil
}

// PutMFACompliance creates or replaces a record.
func (s *Store) PutMFACompliance(ctx context.Context, c mfa.Compliance) error {
	const op = "sqlstore.PutMFACompliance"
	r := complianceRow{
		OrgID: c.OrgID, UserID: c.UserID, Status: string(c.Status), PolicyVersion: c.PolicyVersion, AppliedAt: dbTime(c.AppliedAt),
		DeadlineAt: dbTimePtr(c.DeadlineAt), CompliantAt: dbTimePtr(c.CompliantAt), SuspendedAt: dbTimePtr(c.SuspendedAt),
		LastNotifiedAt: dbTimePtr(c.LastNotifiedAt), NotificationCount: c.NotificationCount,
		CreatedAt: dbTime(c.CreatedAt), UpdatedAt: dbTime(c.UpdatedAt),
	}
	_, err := s.db(ctx).NewInsert().Model(&r).On("CONFLICT (organization_id, user_id) DO UPDATE").
		Set("status = EXCLUDED.status").
		Set("policy_version = EXCLUDED.policy_version").
		Set("applied_at = EXCLUDED.applied_at").
		Set("deadline_at = EXCLUDED.deadline_at").
		Set("compliant_at = EXCLUDED.compliant_at").
		Set("suspended_at = EXCLUDED.suspended_at").
		Set("last_notified_at = EXCLUDED.last_notified_at").
		Set("notification_count = EXCLUDED.notification_count").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	return translateMsg(op, err, refMsgs)
}

// liveCompliance restricts a compliance query to live members of live
// organizations.
func liveCompliance(q *bun.SelectQuery) *bun.SelectQuery {
	return q.
		Join("JOIN organizations AS o ON o.id = mpc.organization_id AND o.deleted_at IS NULL").
		Join("JOIN organization_members AS om ON om.organization_id = mpc.organization_id AND om.user_id = mpc.user_id AND om.deleted_at IS NULL").
		Join("JOIN users AS u ON u.id = mpc.user_id AND u.deleted_at IS NULL")
}

// ListMFACompliance returns one page of an organization's records.
func (s *Store) ListMFACompliance(ctx context.Context, orgID string, q ports.ComplianceQuery) ([]mfa.Compliance, int, error) {
	const op = "sqlstore.ListMFACompliance"
	var rows []complianceRow
	sel := liveCompliance(s.reader(ctx).NewSelect().Model(&rows)).Where("mpc.organization_id = ?", orgID)
	if q.Status != "" {
		sel = sel.Where("mpc.status = ?", string(q.Status))
	}
	sel = sel.OrderExpr("mpc.user_id ASC").Offset(int64(q.Offset))
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return nil, 0, translate(op, err)
	}
	out := make([]mfa.Compliance, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.compliance())
	}
	return out, int(n), nil
}

// complianceMemberRow is a compliance record joined with its user.
type complianceMemberRow struct {
	complianceRow `bun:",extend"`
	Email         string `bun:"u_email"`
	FullName      string `bun:"u_full_name"`
}

// ListMFAComplianceMembers returns one page of an organization's records
// with the members' email and name, in one joined query.
func (s *Store) ListMFAComplianceMembers(ctx context.Context, orgID string, q ports.ComplianceQuery) ([]ports.ComplianceMember, int, error) {
	const op = "sqlstore.ListMFAComplianceMembers"
	var rows []complianceMemberRow
	sel := liveCompliance(s.reader(ctx).NewSelect().Model(&rows)).
		ColumnExpr("mpc.*").ColumnExpr("u.email AS u_email, u.full_name AS u_full_name").
		Where("mpc.organization_id = ?", orgID)
	if q.Status != "" {
		sel = sel.Where("mpc.status = ?", string(q.Status))
	}
	sel = sel.OrderExpr("mpc.user_id ASC").Offset(int64(max(q.Offset, 0)))
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	n, err := sel.ScanAndCount(ctx)
	if err != nil {
		return nil, 0, translate(op, err)
	}
	out := make([]ports.ComplianceMember, 0, len(rows))
	for _, r := range rows {
		out = append(out, ports.ComplianceMember{Compliance: r.compliance(), Email: r.Email, FullName: r.FullName})
	}
	return out, int(n), nil
}

// MFAComplianceOfUsers returns the organization's records of userIDs in
// one query.
func (s *Store) MFAComplianceOfUsers(ctx context.Context, orgID string, userIDs []string) (map[string]mfa.Compliance, error) {
	const op = "sqlstore.MFAComplianceOfUsers"
	out := map[string]mfa.Compliance{}
	if len(userIDs) == 0 {
		return out, nil
	}
	var rows []complianceRow
	err := s.reader(ctx).NewSelect().Model(&rows).Where("mpc.organization_id = ?", orgID).
		Where("mpc.user_id IN (?)", bun.List(userIDs)).Scan(ctx)
	if err != nil {
		return nil, translate(op, err)
	}
	for _, r := range rows {
		out[r.UserID] = r.compliance()
	}
	return out, nil
}

// UserMFACompliance lists the user's records in live organizations.
func (s *Store) UserMFACompliance(ctx context.Context, userID string) ([]mfa.Compliance, error) {
	const op = "sqlstore.UserMFACompliance"
	var rows []complianceRow
	err := liveCompliance(s.reader(ctx).NewSelect().Model(&rows)).Where("mpc.user_id = ?", userID).
		OrderExpr("mpc.organization_id ASC").Scan(ctx)
	if err != nil {
		return nil, translate(op, err)
	}
	out := make([]mfa.Compliance, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.compliance())
	}
	return out, nil
}

// ScanMFACompliance pages through every live record by (org, user).
func (s *Store) ScanMFACompliance(ctx context.Context, afterOrgID, afterUserID string, limit int) ([]mfa.Compliance, error) {
	const op = "sqlstore.ScanMFACompliance"
	var rows []complianceRow
	sel := liveCompliance(s.reader(ctx).NewSelect().Model(&rows)).
		Where("(mpc.organization_id > ?) OR (mpc.organization_id = ? AND mpc.user_id > ?)", afterOrgID, afterOrgID, afterUserID).
		OrderExpr("mpc.organization_id ASC, mpc.user_id ASC")
	if limit > 0 {
		sel = sel.Limit(int64(limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, translate(op, err)
	}
	out := make([]mfa.Compliance, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.compliance())
	}
	return out, nil
}

// DeleteStaleMFACompliance deletes records of deleted organizations and
// ended memberships.
func (s *Store) DeleteStaleMFACompliance(ctx context.Context) (int, error) {
	const op = "sqlstore.DeleteStaleMFACompliance"
	res, err := s.db(ctx).NewDelete().Model((*complianceRow)(nil)).
		Where(`NOT EXISTS (SELECT 1 FROM organization_members AS om JOIN organizations AS o ON o.id = om.organization_id
			WHERE om.organization_id = mpc.organization_id AND om.user_id = mpc.user_id
			AND om.deleted_at IS NULL AND o.deleted_at IS NULL)`).
		Exec(ctx)
	if err != nil {
		return 0, translate(op, err)
	}
	return affected(op, res)
}

// AcquireLease takes the named lease for holder until `until` when it is
// free, expired or already holder's. One conditional upsert.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	const op = "sqlstore.AcquireLease"
	r := leaseRow{Name: name, Holder: holder, ExpiresAt: dbTime(until)}
	res, err := s.db(ctx).NewInsert().Model(&r).
		On("CONFLICT (name) DO UPDATE").
		Set("holder = EXCLUDED.holder").
		Set("expires_at = EXCLUDED.expires_at").
		Where("jl.expires_at <= ? OR jl.holder = ?", dbTime(now), holder).
		Exec(ctx)
	if err != nil {
		return false, translate(op, err)
	}
	n, err := affected(op, res)
	return n == 1, err
}

// ReleaseLease frees the lease if holder holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	const op = "sqlstore.ReleaseLease"
	_, err := s.db(ctx).NewDelete().Model((*leaseRow)(nil)).Where("name = ?", name).Where("holder = ?", holder).Exec(ctx)
	return translate(op, err)
}
