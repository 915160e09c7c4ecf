package tenancy

import (
	"context"
	"strings"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
)

// maxInviteTokenLen bounds a token before it is hashed.
const maxInviteTokenLen = 256

func errInviteNotFound(op string) error {
	return &fault.Error{Op: op, Kind: fault.NotFound, Msg: "Invitation not found or no longer valid"}
}

// CreateInvite invites an email address to the organization (owners and
// admins). The role defaults to member and can be at most the inviter's
// own. A pending invite for the same address is replaced. The token is
// random (256 bits), stored as its SHA-256 and only ever put into the
// email, which is queued in the same transaction.
func (s *Service) CreateInvite(ctx context.Context, a Actor, orgID, email, role string, src audit.Source) (org.Invite, error) {
	const op = "tenancy.CreateInvite"
	var out org.Invite
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.access(ctx, op, a, orgID, org.Admin, true)
		if err != nil {
			return err
		}
		var v fault.Validation
		addr, ok := identity.NormalizeEmail(email)
		if strings.TrimSpace(email) == "" {
			v.Add("email", "Email is required")
		} else if !ok {
			v.Add("email", "Not a valid email address")
		}
		r, rerr := parseRole(op, "role", role, string(org.Member))
		if rerr != nil {
			v.Add("role", "Must be one of owner, admin, member, guest")
		}
		if err := v.Err(op); err != nil {
			return err
		}
		if !org.CanGrant(g.Role, r) {
			if r == org.Owner {
				return errOwnerProtection(op, "Only an owner can invite an owner")
			}
			return errForbidden(op, "You cannot invite with a role above your own")
		}
		recipient := ""
		if u, err := s.d.Users.UserByEmail(ctx, addr); err == nil {
			recipient = u.FullName
			if _, err := s.d.Members.Member(ctx, orgID, u.ID); err == nil {
				return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "This person is already a member",
					Fields: map[string][]string{"email": {"Already a member of this organization"}}}
			} else if !fault.Is(err, fault.NotFound) {
				return err
			}
		} else if !fault.Is(err, fault.NotFound) {
			return err
		}
		now := s.now()
		if _, err := s.d.Invites.CancelEmailInvites(ctx, orgID, addr, now); err != nil {
			return err
		}
		tok := newSecret(s.d.Random)
		out = org.Invite{
			ID: newID(s.d.Random), OrgID: orgID, InvitedByID: a.User.ID, Email: addr, Role: r,
			TokenHash: hashToken(tok), CreatedAt: now, ExpiresAt: now.Add(s.cfg.InviteTTL),
		}
		if err := s.d.Invites.CreateInvite(ctx, out); err != nil {
			return err
		}
		if err := s.d.Mailer.Enqueue(ctx, message.Email{
			To: addr, ToName: recipient, Template: message.OrgInvite,
			Vars: map[string]string{
				"name": recipient, "org_name": g.Org.Name, "inviter_name": displayName(a.User), "role": string(r),
				"link": s.link("/invite", "token", tok), "expires_in": humanDuration(s.cfg.InviteTTL),
			},
			Sensitive: []string{"link"},
		}); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.InviteCreated, Success: true,
			ResourceType: "invite", ResourceID: out.ID, OrgID: orgID, Extra: map[string]any{"email": addr, "role": string(r)}})
	})
	if err != nil {
		return org.Invite{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// ListInvites lists the organization's pending invites (owners and
// admins). Tokens are never listed: only their hashes are stored.
func (s *Service) ListInvites(ctx context.Context, a Actor, orgID string) ([]org.InviteSummary, error) {
	const op = "tenancy.ListInvites"
	if _, err := s.access(ctx, op, a, orgID, org.Admin, false); err != nil {
		return nil, err
	}
	out, err := s.d.Invites.ListInvites(ctx, orgID, s.now())
	return out, fault.Wrap(op, fault.Internal, err)
}

// CancelInvite cancels a pending invite of the organization (owners and
// admins; an invite to become owner only by an owner). NotFound for
// another organization's invite.
func (s *Service) CancelInvite(ctx context.Context, a Actor, orgID, inviteID string, src audit.Source) error {
	const op = "tenancy.CancelInvite"
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		g, err := s.access(ctx, op, a, orgID, org.Admin, true)
		if err != nil {
			return err
		}
		inv, err := s.d.Invites.CancelInvite(ctx, orgID, inviteID, s.now())
		if fault.Is(err, fault.NotFound) {
			return errInviteNotFound(op)
		}
		if err != nil {
			return err
		}
		if !org.CanGrant(g.Role, inv.Role) {
			return errOwnerProtection(op, "Only an owner can cancel an invitation to become owner")
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.InviteCancelled, Success: true,
			ResourceType: "invite", ResourceID: inv.ID, OrgID: orgID, Extra: map[string]any{"email": inv.Email, "role": string(inv.Role)}})
	})
	return fault.Wrap(op, fault.Internal, err)
}

// InviteInfo is what the public invite page shows.
type InviteInfo struct {
	org.InviteSummary
	// UserExists tells the page whether to offer sign-in or sign-up.
	UserExists bool
	// OrgLogoURL is the organization's logo for the invite page ("" for
	// none).
	OrgLogoURL string
}

// LookupInvite returns a pending invite by its token (public). NotFound
// for unknown, used, cancelled and expired tokens alike.
func (s *Service) LookupInvite(ctx context.Context, token string) (InviteInfo, error) {
	const op = "tenancy.LookupInvite"
	if token == "" || len(token) > maxInviteTokenLen {
		return InviteInfo{}, errInviteNotFound(op)
	}
	inv, err := s.d.Invites.PendingInvite(ctx, hashToken(token), s.now())
	if fault.Is(err, fault.NotFound) {
		return InviteInfo{}, errInviteNotFound(op)
	}
	if err != nil {
		return InviteInfo{}, fault.Wrap(op, fault.Internal, err)
	}
	o, err := s.d.Orgs.OrgByID(ctx, inv.OrgID)
	if err != nil {
		// A pending invite of a deleted organization is no invite.
		if fault.Is(err, fault.NotFound) {
			return InviteInfo{}, errInviteNotFound(op)
		}
		return InviteInfo{}, fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.d.Users.UserByEmail(ctx, inv.Email)
	if err != nil && !fault.Is(err, fault.NotFound) {
		return InviteInfo{}, fault.Wrap(op, fault.Internal, err)
	}
	return InviteInfo{InviteSummary: inv, UserExists: err == nil, OrgLogoURL: o.LogoURL}, nil
}

// SignUp is the new account's part of accepting an invite without a
// session.
type SignUp struct {
	FullName        string
	Password        string
	PasswordConfirm string
}

// Accepted is the outcome of accepting an invite.
type Accepted struct {
	Org        org.Organization
	Membership org.Membership
	// Registration is set when the invite created a new account (and its
	// first session).
	Registration *account.Registration
}

// AcceptInvite accepts an invitation. With a session (caller set), the
// caller's verified email must be the invite's (else 403 EMAIL_MISMATCH).
// Without one, an existing account for the invite's email must sign in
// first (401 AUTH_REQUIRED, details user_exists): the token never logs
// anyone into an existing account. Otherwise a new account is created in
// the same step, with the email verified (the link proved it). The token
// is single use; the inviter is told by email.
func (s *Service) AcceptInvite(ctx context.Context, caller *Actor, token string, signup SignUp, src audit.Source) (Accepted, error) {
	const op = "tenancy.AcceptInvite"
	if token == "" || len(token) > maxInviteTokenLen {
		return Accepted{}, errInviteNotFound(op)
	}
	hash := hashToken(token)
	inv, err := s.d.Invites.PendingInvite(ctx, hash, s.now())
	if fault.Is(err, fault.NotFound) {
		return Accepted{}, errInviteNotFound(op)
	}
	if err != nil {
		return Accepted{}, fault.Wrap(op, fault.Internal, err)
	}
	if caller != nil {
		if !caller.isUser() {
			return Accepted{}, errForbidden(op, keyReadOnly)
		}
		u := caller.User
		if !u.EmailVerified || !strings.EqualFold(u.Email, inv.Email) {
			return Accepted{}, &fault.Error{Op: op, Kind: fault.Forbidden, Code: "EMAIL_MISMATCH",
				Msg: "This invitation is for another email address, or yours is not verified yet"}
		}
		var out Accepted
		err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
			var err error
			out, err = s.acceptTx(ctx, op, hash, u, src)
			return err
		})
		if err != nil {
			return Accepted{}, fault.Wrap(op, fault.Internal, err)
		}
		return out, nil
	}
	if _, err := s.d.Users.UserByEmail(ctx, inv.Email); err == nil {
		return Accepted{}, &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTH_REQUIRED",
			Msg: "An account exists for this email: sign in, then accept the invitation", Details: map[string]any{"user_exists": true}}
	} else if !fault.Is(err, fault.NotFound) {
		return Accepted{}, fault.Wrap(op, fault.Internal, err)
	}
	var out Accepted
	reg, err := s.d.Accounts.Register(ctx, account.RegisterInput{
		Email: inv.Email, Password: signup.Password, PasswordConfirm: signup.PasswordConfirm, FullName: signup.FullName,
		EmailVerified: true,
		OnCreate: func(ctx context.Context, u identity.User) error {
			var err error
			out, err = s.acceptTx(ctx, op, hash, u, src)
			return err
		},
	}, src)
	if err != nil {
		return Accepted{}, err
	}
	out.Registration = &reg
	return out, nil
}

// acceptTx consumes the invite for u and adds the membership, inside the
// caller's transaction. The invite is refused when its inviter may no
// longer grant its role (demoted or gone since).
func (s *Service) acceptTx(ctx context.Context, op, hash string, u identity.User, src audit.Source) (Accepted, error) {
	now := s.now()
	inv, err := s.d.Invites.AcceptInvite(ctx, hash, u.ID, now)
	if fault.Is(err, fault.NotFound) {
		return Accepted{}, errInviteNotFound(op)
	}
	if err != nil {
		return Accepted{}, err
	}
	o, err := s.d.Orgs.LockOrg(ctx, inv.OrgID)
	if err != nil {
		return Accepted{}, s.notFound(op, err)
	}
	var inviter identity.User
	if inv.InvitedByID != "" {
		r, err := s.d.Members.Role(ctx, inv.OrgID, inv.InvitedByID)
		if err != nil && !fault.Is(err, fault.NotFound) {
			return Accepted{}, err
		}
		if err != nil || !org.CanGrant(r, inv.Role) {
			return Accepted{}, errInviteNotFound(op)
		}
		if inviter, err = s.d.Users.UserByID(ctx, inv.InvitedByID); err != nil {
			return Accepted{}, s.notFound(op, err)
		}
	} else {
		return Accepted{}, errInviteNotFound(op)
	}
	invitedAt := inv.CreatedAt
	m, err := s.d.Members.AddMember(ctx, org.Membership{
		ID: newID(s.d.Random), OrgID: inv.OrgID, UserID: u.ID, Role: inv.Role, InvitedByID: inv.InvitedByID,
		InvitedAt: &invitedAt, JoinedAt: now, CreatedAt: now, UpdatedAt: now,
	})
	if fault.Is(err, fault.Conflict) {
		return Accepted{}, &fault.Error{Op: op, Kind: fault.Conflict, Msg: "You are already a member of this organization"}
	}
	if err != nil {
		return Accepted{}, err
	}
	if err := s.d.Mailer.Enqueue(ctx, message.Email{To: inviter.Email, ToName: inviter.FullName, Template: message.InviteAccepted,
		Vars: map[string]string{"name": inviter.FullName, "org_name": o.Name, "member_name": displayName(u), "member_email": u.Email, "role": string(inv.Role)},
	}); err != nil {
		return Accepted{}, err
	}
	if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.InviteAccepted, Success: true,
		ResourceType: "invite", ResourceID: inv.ID, OrgID: inv.OrgID, Extra: map[string]any{"role": string(inv.Role), "invited_by": inv.InvitedByID}}); err != nil {
		return Accepted{}, err
	}
	if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.OrgMemberAdd, Success: true,
		ResourceType: "user", ResourceID: u.ID, OrgID: inv.OrgID, Extra: map[string]any{"role": string(inv.Role), "via": "invite"}}); err != nil {
		return Accepted{}, err
	}
	return Accepted{Org: o, Membership: m}, nil
}

// MyInvites lists the invitations waiting for the caller's email; empty
// while the email is unverified (the invites name organizations, which an
// unproven address must not learn).
func (s *Service) MyInvites(ctx context.Context, a Actor) ([]org.InviteSummary, error) {
	const op = "tenancy.MyInvites"
	if !a.isUser() {
		return nil, errForbidden(op, "Only people have invitations")
	}
	return s.PendingInvites(ctx, a.User)
}

// PendingInvites lists the invitations for a user's verified email
// (account.Orgs).
func (s *Service) PendingInvites(ctx context.Context, u identity.User) ([]org.InviteSummary, error) {
	if !u.EmailVerified {
		return []org.InviteSummary{}, nil
	}
	out, err := s.d.Invites.InvitesForEmail(ctx, u.Email, s.now())
	return out, fault.Wrap("tenancy.PendingInvites", fault.Internal, err)
}
