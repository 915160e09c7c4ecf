package tenancy

import (
	"context"
	"strings"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
)

// ListMembers returns one page of the organization's members with their
// accounts, highest role first (members and above, and API keys). role, if
// set, filters by role.
func (s *Service) ListMembers(ctx context.Context, a Actor, orgID, role string, p PageRequest) ([]org.MemberUser, PageInfo, error) {
	const op = "tenancy.ListMembers"
	if _, err := s.access(ctx, op, a, orgID, org.Member, false); err != nil {
		return nil, PageInfo{}, err
	}
	q := ports.MemberQuery{}
	if role != "" {
		r, ok := org.ParseRole(role)
		if !ok {
			return nil, PageInfo{}, errInvalid(op, "role", "Must be one of owner, admin, member, guest")
		}
		q.Role = r
	}
	page, per := p.Normalize()
	q.Offset, q.Limit = (page-1)*per, per
	items, n, err := s.d.Members.ListMembers(ctx, orgID, q)
	if err != nil {
		return nil, PageInfo{}, fault.Wrap(op, fault.Internal, err)
	}
	return items, NewPageInfo(p, n), nil
}

// Roles returns the organization's members grouped by role (members and
// above, and API keys). Every role has an entry.
func (s *Service) Roles(ctx context.Context, a Actor, orgID string) (map[org.Role][]org.MemberUser, error) {
	const op = "tenancy.Roles"
	if _, err := s.access(ctx, op, a, orgID, org.Member, false); err != nil {
		return nil, err
	}
	items, _, err := s.d.Members.ListMembers(ctx, orgID, ports.MemberQuery{})
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	out := map[org.Role][]org.MemberUser{}
	for _, r := range org.Roles() {
		out[r] = []org.MemberUser{}
	}
	for _, m := range items {
		out[m.Role] = append(out[m.Role], m)
	}
	return out, nil
}

// parseRole reads a role field; empty means def.
func parseRole(op, field, s, def string) (org.Role, error) {
	if strings.TrimSpace(s) == "" {
		s = def
	}
	r, ok := org.ParseRole(s)
	if !ok {
		return "", errInvalid(op, field, "Must be one of owner, admin, member, guest")
	}
	return r, nil
}

// AddMember adds an existing account to the organization directly. Only
// platform admins may (everyone else invites: an invitation asks the
// person); members get Forbidden, non-members NotFound. Granting owner
// additionally needs the caller to be an owner of the organization. A
// former member is revived.
func (s *Service) AddMember(ctx context.Context, a Actor, orgID, email, role string, src audit.Source) (org.MemberUser, error) {
	const op = "tenancy.AddMember"
	var out org.MemberUser
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var callerRole org.Role
		if a.isUser() && a.User.IsPlatformAdmin {
			if _, err := s.d.Orgs.LockOrg(ctx, orgID); err != nil {
				return s.notFound(op, err)
			}
			if r, err := s.d.Members.Role(ctx, orgID, a.User.ID); err == nil {
				callerRole = r
			} else if !fault.Is(err, fault.NotFound) {
				return err
			}
		} else {
			if _, err := s.access(ctx, op, a, orgID, org.Guest, true); err != nil {
				return err
			}
			return errForbidden(op, "Members join by invitation: send an invite instead")
		}
		r, err := parseRole(op, "role", role, string(org.Member))
		if err != nil {
			return err
		}
		if r == org.Owner && callerRole != org.Owner {
			return errOwnerProtection(op, "Only an owner can grant the owner role")
		}
		addr, ok := identity.NormalizeEmail(email)
		if !ok {
			return errInvalid(op, "email", "Not a valid email address")
		}
		u, err := s.d.Users.UserByEmail(ctx, addr)
		if fault.Is(err, fault.NotFound) {
			return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "User not found"}
		}
		if err != nil {
			return err
		}
		now := s.now()
		m, err := s.d.Members.AddMember(ctx, org.Membership{
			ID: newID(s.d.Random), OrgID: orgID, UserID: u.ID, Role: r, InvitedByID: a.User.ID,
			JoinedAt: now, CreatedAt: now, UpdatedAt: now,
		})
		if err != nil {
			return err
		}
		out = memberUser(m, u)
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.OrgMemberAdd, Success: true,
			ResourceType: "user", ResourceID: u.ID, OrgID: orgID, Extra: map[string]any{"role": string(r), "via": "direct"}})
	})
	if err != nil {
		return org.MemberUser{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

func memberUser(m org.Membership, u identity.User) org.MemberUser {
	return org.MemberUser{Membership: m, Email: u.Email, FullName: u.FullName, AvatarURL: u.AvatarURL,
		EmailVerified: u.EmailVerified, Status: string(u.Status)}
}

// target returns the live membership of userID. NotFound (as "Member not
// found") otherwise.
func (s *Service) target(ctx context.Context, op, orgID, userID string) (org.Membership, error) {
	m, err := s.d.Members.Member(ctx, orgID, userID)
	if fault.Is(err, fault.NotFound) {
		return org.Membership{}, &fault.Error{Op: op, Kind: fault.NotFound, Msg: "Member not found"}
	}
	return m, err
}

// keepsAnOwner refuses a change that would leave the organization with no
// owner.
func (s *Service) keepsAnOwner(ctx context.Context, op, orgID string) error {
	counts, err := s.d.Members.CountMembers(ctx, orgID)
	if err != nil {
		return err
	}
	if counts[org.Owner] <= 1 {
		return errOwnerProtection(op, "An organization must keep at least one owner; transfer ownership first")
	}
	return nil
}

// RemoveMember removes a member. Anyone may leave (remove themselves),
// except the last owner. Removing someone else needs owner or admin, and
// only owners remove owners.
func (s *Service) RemoveMember(ctx context.Context, a Actor, orgID, userID string, src audit.Source) error {
	const op = "tenancy.RemoveMember"
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if !a.isUser() {
			if _, err := s.access(ctx, op, a, orgID, org.Guest, true); err != nil {
				return err
			}
			return errForbidden(op, keyReadOnly)
		}
		g, err := s.access(ctx, op, a, orgID, org.Guest, true)
		if err != nil {
			return err
		}
		self := userID == a.User.ID
		if !self && !g.Role.Manages() {
			return errNeedRole(op, org.Admin)
		}
		m, err := s.target(ctx, op, orgID, userID)
		if err != nil {
			return err
		}
		if !self && !org.CanActOn(g.Role, m.Role) {
			return errOwnerProtection(op, "Only an owner can remove an owner")
		}
		if m.Role == org.Owner {
			if err := s.keepsAnOwner(ctx, op, orgID); err != nil {
				return err
			}
		}
		if err := s.d.Members.RemoveMember(ctx, orgID, userID, s.now()); err != nil {
			return err
		}
		desc := ""
		if self {
			desc = "left the organization"
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.OrgMemberRemove, Success: true,
			ResourceType: "user", ResourceID: userID, OrgID: orgID, Description: desc, Extra: map[string]any{"role": string(m.Role)}})
	})
	return fault.Wrap(op, fault.Internal, err)
}

// ChangeRole gives a member another role. Owners and admins may; nobody
// grants a role above their own, only owners grant or take away owner,
// admins never act on owners, and the last owner cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, a Actor, orgID, userID, role string, src audit.Source) (org.Membership, error) {
	const op = "tenancy.ChangeRole"
	var out org.Membership
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.access(ctx, op, a, orgID, org.Admin, true)
		if err != nil {
			return err
		}
		if strings.TrimSpace(role) == "" {
			return errInvalid(op, "role", "Role is required")
		}
		r, err := parseRole(op, "role", role, "")
		if err != nil {
			return err
		}
		m, err := s.target(ctx, op, orgID, userID)
		if err != nil {
			return err
		}
		out, err = s.changeRoleTx(ctx, op, a, g, m, r, src)
		return err
	})
	if err != nil {
		return org.Membership{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// changeRoleTx applies the role rules and the change.
func (s *Service) changeRoleTx(ctx context.Context, op string, a Actor, g grant, m org.Membership, r org.Role, src audit.Source) (org.Membership, error) {
	if (m.Role == org.Owner || r == org.Owner) && g.Role != org.Owner {
		return org.Membership{}, errOwnerProtection(op, "Only an owner can grant or remove the owner role")
	}
	if !org.CanActOn(g.Role, m.Role) || !org.CanGrant(g.Role, r) {
		return org.Membership{}, errForbidden(op, "You cannot give a role above your own")
	}
	if m.Role == r {
		return m, nil
	}
	if m.Role == org.Owner {
		if err := s.keepsAnOwner(ctx, op, m.OrgID); err != nil {
			return org.Membership{}, err
		}
	}
	out, err := s.d.Members.SetMemberRole(ctx, m.OrgID, m.UserID, r, s.now())
	if err != nil {
		return org.Membership{}, err
	}
	return out, s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.OrgMemberRoleChange, Success: true,
		ResourceType: "user", ResourceID: m.UserID, OrgID: m.OrgID, Extra: map[string]any{"from": string(m.Role), "to": string(r)}})
}

// AssignRole is the role endpoint's form of ChangeRole: the member userID
// gets role (POST /organizations/{org}/roles/{role}/members).
func (s *Service) AssignRole(ctx context.Context, a Actor, orgID, role, userID string, src audit.Source) (org.Membership, error) {
	const op = "tenancy.AssignRole"
	if strings.TrimSpace(userID) == "" {
		if _, err := s.access(ctx, op, a, orgID, org.Admin, false); err != nil {
			return org.Membership{}, err
		}
		return org.Membership{}, errInvalid(op, "user_id", "User ID is required")
	}
	return s.ChangeRole(ctx, a, orgID, userID, role, src)
}

// UnassignRole takes the owner or admin role away from a member, who
// becomes a plain member (DELETE /organizations/{org}/roles/{role}/members/{user}).
// Role endpoints change roles only: removing someone from the organization
// is RemoveMember. NotFound when the member does not hold role.
func (s *Service) UnassignRole(ctx context.Context, a Actor, orgID, role, userID string, src audit.Source) (org.Membership, error) {
	const op = "tenancy.UnassignRole"
	var out org.Membership
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.access(ctx, op, a, orgID, org.Admin, true)
		if err != nil {
			return err
		}
		r, err := parseRole(op, "role", role, "")
		if err != nil {
			return err
		}
		if !r.Manages() {
			return errInvalid(op, "role", "Only the owner and admin roles can be taken away; remove the member instead")
		}
		m, err := s.target(ctx, op, orgID, userID)
		if err != nil {
			return err
		}
		if m.Role != r {
			return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "The member does not hold this role"}
		}
		out, err = s.changeRoleTx(ctx, op, a, g, m, org.Member, src)
		return err
	})
	if err != nil {
		return org.Membership{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// TransferOwnership makes another member the owner and the caller an admin
// (owners only). Both are told by email.
func (s *Service) TransferOwnership(ctx context.Context, a Actor, orgID, newOwnerID string, src audit.Source) error {
	const op = "tenancy.TransferOwnership"
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.access(ctx, op, a, orgID, org.Owner, true)
		if err != nil {
			return err
		}
		if strings.TrimSpace(newOwnerID) == "" {
			return errInvalid(op, "new_owner_user_id", "Required")
		}
		if newOwnerID == a.User.ID {
			return errInvalid(op, "new_owner_user_id", "You already own this organization")
		}
		m, err := s.target(ctx, op, orgID, newOwnerID)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := s.d.Members.SetMemberRole(ctx, orgID, newOwnerID, org.Owner, now); err != nil {
			return err
		}
		if _, err := s.d.Members.SetMemberRole(ctx, orgID, a.User.ID, org.Admin, now); err != nil {
			return err
		}
		to, err := s.d.Users.UserByID(ctx, newOwnerID)
		if err != nil {
			return err
		}
		vars := func(name string) map[string]string {
			return map[string]string{"name": name, "org_name": g.Org.Name, "from_name": displayName(a.User), "to_name": displayName(to)}
		}
		for _, u := range []identity.User{to, a.User} {
			if err := s.d.Mailer.Enqueue(ctx, message.Email{To: u.Email, ToName: u.FullName, Template: message.OwnershipTransfer, Vars: vars(u.FullName)}); err != nil {
				return err
			}
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.OrgOwnershipTransferred, Success: true,
			ResourceType: "organization", ResourceID: orgID, OrgID: orgID,
			Extra: map[string]any{"from_user_id": a.User.ID, "to_user_id": newOwnerID, "previous_role": string(m.Role)}})
	})
	return fault.Wrap(op, fault.Internal, err)
}
