package mfaflow

import (
	"context"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/org"
)

// MemberPolicy is one member's standing under an organization's policy:
// the account, the override (inherit when none was set) and the stored
// compliance record, if any.
type MemberPolicy struct {
	User     identity.User
	Override mfa.Override
	// Record is nil when the member was never evaluated.
	Record *mfa.Compliance
	// Status is the record's status as it stands now ("" without one).
	Status mfa.Status
}

// MemberPolicy returns a member's override and compliance (owners and
// admins), for the form that changes the override. NotFound for
// non-members of the organization (the viewer's or the target's).
func (s *Service) MemberPolicy(ctx context.Context, viewer identity.User, orgID, userID string) (MemberPolicy, error) {
	const op = "mfaflow.MemberPolicy"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Admin); err != nil {
		return MemberPolicy{}, err
	}
	notMember := fault.E(op, fault.NotFound, "Member not found")
	if _, err := s.d.Members.Member(ctx, orgID, userID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return MemberPolicy{}, notMember
		}
		return MemberPolicy{}, fault.Wrap(op, fault.Internal, err)
	}
	u, err := s.d.Users.UserByID(ctx, userID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return MemberPolicy{}, notMember
		}
		return MemberPolicy{}, fault.Wrap(op, fault.Internal, err)
	}
	out := MemberPolicy{User: u, Override: mfa.Override{OrgID: orgID, UserID: userID, Mode: mfa.OverrideInherit}}
	switch o, err := s.d.Policies.MFAOverride(ctx, orgID, userID); {
	case err == nil:
		out.Override = o
	case !fault.Is(err, fault.NotFound):
		return MemberPolicy{}, fault.Wrap(op, fault.Internal, err)
	}
	switch c, err := s.d.Policies.MFACompliance(ctx, orgID, userID); {
	case err == nil:
		out.Record, out.Status = &c, c.At(s.now())
	case !fault.Is(err, fault.NotFound):
		return MemberPolicy{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// MemberStatuses returns the compliance status, as it stands now, of the
// given members of an organization (owners and admins), read in one query
// for a page of the members table. Members without a record are absent.
func (s *Service) MemberStatuses(ctx context.Context, viewer identity.User, orgID string, userIDs []string) (map[string]mfa.Status, error) {
	const op = "mfaflow.MemberStatuses"
	if err := s.requireRole(ctx, op, orgID, viewer, org.Admin); err != nil {
		return nil, err
	}
	recs, err := s.d.Policies.MFAComplianceOfUsers(ctx, orgID, userIDs)
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	out := make(map[string]mfa.Status, len(recs))
	for id, r := range recs {
		out[id] = r.At(now)
	}
	return out, nil
}
