package tenancy

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/org"
)

// UserDeleting prepares the deletion of u's account at `at`, inside the
// deleting transaction (account.Orgs). It refuses with 409
// USER_IS_SOLE_OWNER, naming the organizations, while u is the only owner
// of an organization with other members; it deletes the organizations u
// owns alone; and it removes u's remaining memberships at exactly `at`, so
// that an admin's restore brings them back.
func (s *Service) UserDeleting(ctx context.Context, u identity.User, at time.Time, src audit.Source) error {
	const op = "tenancy.UserDeleting"
	orgs, err := s.d.Members.OrgsOfUser(ctx, u.ID)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	var blocked []map[string]any
	var alone []string
	for _, uo := range orgs {
		if uo.Membership.Role != org.Owner {
			continue
		}
		if _, err := s.d.Orgs.LockOrg(ctx, uo.Org.ID); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		counts, err := s.d.Members.CountMembers(ctx, uo.Org.ID)
		if err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		switch {
		case total(counts) <= 1:
			alone = append(alone, uo.Org.ID)
		case counts[org.Owner] <= 1:
			blocked = append(blocked, map[string]any{"id": uo.Org.ID, "name": uo.Org.Name, "slug": uo.Org.Slug})
		}
	}
	if len(blocked) > 0 {
		return &fault.Error{Op: op, Kind: fault.Conflict, Code: "USER_IS_SOLE_OWNER",
			Msg:     "You are the only owner of an organization with other members: transfer ownership or delete it first",
			Details: map[string]any{"organizations": blocked}}
	}
	for _, id := range alone {
		if err := s.deleteOrgTx(ctx, id, u.ID, "deleted with its only member's account", src); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
	}
	if _, err := s.d.Members.RemoveUserMemberships(ctx, u.ID, at); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	return nil
}
