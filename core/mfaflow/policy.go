package mfaflow

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// orgNeed is one organization's requirement on a user.
type orgNeed struct {
	Org    org.Organization
	Policy mfa.Policy
	Need   mfa.Need
}

// policyOf returns the organization's policy, or the default.
func (s *Service) policyOf(ctx context.Context, orgID string) (mfa.Policy, error) {
	p, err := s.d.Policies.OrgMFAPolicy(ctx, orgID)
	if fault.Is(err, fault.NotFound) {
		return mfa.DefaultPolicy(orgID), nil
	}
	return p, err
}

// needOf returns what the organization's policy and the user's override
// there require.
func (s *Service) needOf(ctx context.Context, p mfa.Policy, userID string) (mfa.Need, error) {
	o, err := s.d.Policies.MFAOverride(ctx, p.OrgID, userID)
	switch {
	case err == nil:
		return mfa.NeedOf(p, &o), nil
	case fault.Is(err, fault.NotFound):
		return mfa.NeedOf(p, nil), nil
	}
	return mfa.Need{}, err
}

// needs lists each of the user's organizations with its requirement.
func (s *Service) needs(ctx context.Context, userID string) ([]orgNeed, error) {
	orgs, err := s.d.Members.OrgsOfUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]orgNeed, 0, len(orgs))
	for _, uo := range orgs {
		p, err := s.policyOf(ctx, uo.Org.ID)
		if err != nil {
			return nil, err
		}
		n, err := s.needOf(ctx, p, userID)
		if err != nil {
			return nil, err
		}
		out = append(out, orgNeed{Org: uo.Org, Policy: p, Need: n})
	}
	return out, nil
}

// evaluateOne recomputes and stores one (organization, user) record.
func (s *Service) evaluateOne(ctx context.Context, p mfa.Policy, userID string, has mfa.Methods, now time.Time) (mfa.Compliance, mfa.Need, error) {
	n, err := s.needOf(ctx, p, userID)
	if err != nil {
		return mfa.Compliance{}, n, err
	}
	var prev *mfa.Compliance
	old, err := s.d.Policies.MFACompliance(ctx, p.OrgID, userID)
	switch {
	case err == nil:
		prev = &old
	case !fault.Is(err, fault.NotFound):
		return mfa.Compliance{}, n, err
	}
	c := mfa.Evaluate(prev, p.OrgID, userID, p, n, has, now)
	if prev == nil || *prev != c {
		if err := s.d.Policies.PutMFACompliance(ctx, c); err != nil {
			return mfa.Compliance{}, n, err
		}
	}
	return c, n, nil
}

// EvaluateUser recomputes the user's compliance in every organization,
// stores it, restores a compliance-suspended account that is no longer
// suspended anywhere, and returns the aggregate (SEED-SPEC 9.5). The
// login calls it to choose between a full and a compliance-only session.
func (s *Service) EvaluateUser(ctx context.Context, userID string, src audit.Source) (mfa.Aggregate, error) {
	const op = "mfaflow.EvaluateUser"
	has, err := s.Methods(ctx, userID)
	if err != nil {
		return mfa.Aggregate{}, fault.Wrap(op, fault.Internal, err)
	}
	needs, err := s.needs(ctx, userID)
	if err != nil {
		return mfa.Aggregate{}, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	rows := make([]mfa.OrgStanding, 0, len(needs))
	for _, on := range needs {
		c, n, err := s.evaluateOne(ctx, on.Policy, userID, has, now)
		if err != nil {
			return mfa.Aggregate{}, fault.Wrap(op, fault.Internal, err)
		}
		rows = append(rows, mfa.OrgStanding{OrgID: on.Org.ID, OrgName: on.Org.Name, Need: n, Record: c, Status: c.At(now), Missing: n.Missing(has)})
	}
	agg := mfa.Combine(rows)
	if err := s.restoreIfCompliant(ctx, userID, agg, src); err != nil {
		return mfa.Aggregate{}, fault.Wrap(op, fault.Internal, err)
	}
	return agg, nil
}

// restoreIfCompliant makes a compliance-suspended account active again
// once no organization suspends it.
func (s *Service) restoreIfCompliant(ctx context.Context, userID string, agg mfa.Aggregate, src audit.Source) error {
	if agg.Overall == mfa.StatusSuspended {
		return nil
	}
	u, err := s.d.Users.UserByID(ctx, userID)
	if err != nil || u.Status != identity.StatusComplianceSuspended {
		return err
	}
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		_, err := s.d.Users.UpdateUser(ctx, userID, func(u identity.User) (identity.User, error) {
			if u.Status == identity.StatusComplianceSuspended {
				u.Status, u.UpdatedAt = identity.StatusActive, s.now()
			}
			return u, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: userID, Action: ActPolicyUserCompliant, Success: true, Description: "compliance suspension lifted"})
	})
}

// requireRole checks that the viewer is a live member of the organization
// with at least role r. NotFound for non-members (the organization's
// existence is not revealed); Forbidden when the role is too low.
func (s *Service) requireRole(ctx context.Context, op, orgID string, viewer identity.User, r org.Role) error {
	role, err := s.d.Members.Role(ctx, orgID, viewer.ID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return fault.E(op, fault.NotFound, "Organization not found")
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if !role.AtLeast(r) {
		msg := "Requires one of the following roles: owner, admin"
		if r == org.Member {
			msg = "Requires one of the following roles: owner, admin, member"
		}
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: msg}
	}
	return nil
}

// GetPolicy returns an organization's policy (the default when none was
// set) to a member.
func (s *Service) GetPolicy(ctx context.Context, viewer identity.User, orgID string) (mfa.Policy, error) {
	const op = "mfaflow.GetPolicy"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Member); err != nil {
		return mfa.Policy{}, err
	}
	p, err := s.policyOf(ctx, orgID)
	return p, fault.Wrap(op, fault.Internal, err)
}

// PolicyInput changes a policy; nil fields keep their value.
type PolicyInput struct {
	Mode       *string
	GraceDays  *int
	NotifyDays *int
}

// PutPolicy changes an organization's policy (owners and admins), bumps
// its version and re-evaluates every member.
func (s *Service) PutPolicy(ctx context.Context, viewer identity.User, orgID string, in PolicyInput, src audit.Source) (mfa.Policy, error) {
	const op = "mfaflow.PutPolicy"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Admin); err != nil {
		return mfa.Policy{}, err
	}
	p, err := s.policyOf(ctx, orgID)
	if err != nil {
		return mfa.Policy{}, fault.Wrap(op, fault.Internal, err)
	}
	var v fault.Validation
	if in.Mode != nil {
		if m := mfa.Mode(*in.Mode); m.Valid() {
			p.Mode = m
		} else {
			v.Add("mfa_policy_mode", "Must be one of disabled, optional, require_totp, require_webauthn, require_totp_or_webauthn")
		}
	}
	if in.GraceDays != nil {
		if *in.GraceDays < 0 || *in.GraceDays > mfa.MaxGraceDays {
			v.Add("mfa_grace_period_days", "Must be between 0 and 365")
		}
		p.GraceDays = *in.GraceDays
	}
	if in.NotifyDays != nil {
		if *in.NotifyDays < 0 || *in.NotifyDays > mfa.MaxNotifyDays {
			v.Add("notify_days_before", "Must be between 0 and 30")
		}
		p.NotifyDaysBefore = *in.NotifyDays
	}
	if err := v.Err(op); err != nil {
		return mfa.Policy{}, err
	}
	now := s.now()
	p.Version++
	p.UpdatedByID, p.UpdatedAt = viewer.ID, now
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Policies.PutOrgMFAPolicy(ctx, p); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: viewer.ID, OrgID: orgID, Action: ActOrgPolicyUpdate, Success: true,
			ResourceType: "organization", ResourceID: orgID,
			Extra: map[string]any{"mode": string(p.Mode), "grace_days": p.GraceDays, "notify_days": p.NotifyDaysBefore, "version": p.Version}})
	})
	if err != nil {
		return mfa.Policy{}, fault.Wrap(op, fault.Internal, err)
	}
	if err := s.reevaluateOrg(ctx, p, src); err != nil {
		return mfa.Policy{}, fault.Wrap(op, fault.Internal, err)
	}
	return p, nil
}

// reevaluateOrg recomputes the records of every live member.
func (s *Service) reevaluateOrg(ctx context.Context, p mfa.Policy, src audit.Source) error {
	members, _, err := s.d.Members.ListMembers(ctx, p.OrgID, ports.MemberQuery{})
	if err != nil {
		return err
	}
	for _, m := range members {
		if _, err := s.EvaluateUser(ctx, m.UserID, src); err != nil {
			return err
		}
	}
	return nil
}

// OverrideInput changes a user's override; nil fields keep their value.
type OverrideInput struct {
	Mode          *string
	ForceTOTP     *bool
	ForceWebAuthn *bool
}

// PutOverride sets a member's override (owners and admins) and
// re-evaluates that member.
func (s *Service) PutOverride(ctx context.Context, viewer identity.User, orgID, userID string, in OverrideInput, src audit.Source) (mfa.Override, error) {
	const op = "mfaflow.PutOverride"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Admin); err != nil {
		return mfa.Override{}, err
	}
	if _, err := s.d.Members.Member(ctx, orgID, userID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return mfa.Override{}, fault.E(op, fault.NotFound, "Member not found")
		}
		return mfa.Override{}, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	o, err := s.d.Policies.MFAOverride(ctx, orgID, userID)
	switch {
	case fault.Is(err, fault.NotFound):
		o = mfa.Override{OrgID: orgID, UserID: userID, Mode: mfa.OverrideInherit, CreatedAt: now}
	case err != nil:
		return mfa.Override{}, fault.Wrap(op, fault.Internal, err)
	}
	if in.Mode != nil {
		m := mfa.OverrideMode(*in.Mode)
		if !m.Valid() {
			return mfa.Override{}, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
				Fields: map[string][]string{"mfa_override_mode": {"Must be one of inherit, required, exempt"}}}
		}
		o.Mode = m
	}
	if in.ForceTOTP != nil {
		o.ForceTOTP = *in.ForceTOTP
	}
	if in.ForceWebAuthn != nil {
		o.ForceWebAuthn = *in.ForceWebAuthn
	}
	o.UpdatedByID, o.UpdatedAt = viewer.ID, now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Policies.PutMFAOverride(ctx, o); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: viewer.ID, OrgID: orgID, Action: ActOverrideUpdate, Success: true,
			ResourceType: "user", ResourceID: userID,
			Extra: map[string]any{"mode": string(o.Mode), "force_totp": o.ForceTOTP, "force_webauthn": o.ForceWebAuthn}})
	})
	if err != nil {
		return mfa.Override{}, fault.Wrap(op, fault.Internal, err)
	}
	if _, err := s.EvaluateUser(ctx, userID, src); err != nil {
		return mfa.Override{}, err
	}
	return o, nil
}

// ComplianceRow is one member's record with the member's account (ID,
// email and name only).
type ComplianceRow struct {
	Record mfa.Compliance
	Status mfa.Status // as it stands now
	User   identity.User
}

// ListCompliance lists an organization's compliance records (owners and
// admins); status filters by stored status.
func (s *Service) ListCompliance(ctx context.Context, viewer identity.User, orgID string, status string, offset, limit int) ([]ComplianceRow, int, error) {
	const op = "mfaflow.ListCompliance"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Admin); err != nil {
		return nil, 0, err
	}
	st := mfa.Status(status)
	if status != "" && !st.Valid() {
		return nil, 0, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"status": {"Unknown status"}}}
	}
	// One query for the page with the members' names (no lookup per row).
	recs, n, err := s.d.Policies.ListMFAComplianceMembers(ctx, orgID, ports.ComplianceQuery{Status: st, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	out := make([]ComplianceRow, 0, len(recs))
	for _, r := range recs {
		u := identity.User{ID: r.UserID, Email: r.Email, FullName: r.FullName}
		out = append(out, ComplianceRow{Record: r.Compliance, Status: r.At(now), User: u})
	}
	return out, n, nil
}
