package tenancy

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
)

// myInvite finds one of the invitations waiting for the caller's verified
// email by its ID. NotFound for any other ID (another person's invite, a
// used, cancelled or expired one), so invite IDs cannot be probed.
func (s *Service) myInvite(ctx context.Context, op string, a Actor, inviteID string) (org.InviteSummary, error) {
	if !a.isUser() {
		return org.InviteSummary{}, errForbidden(op, "Only people have invitations")
	}
	list, err := s.PendingInvites(ctx, a.User)
	if err != nil {
		return org.InviteSummary{}, err
	}
	for _, inv := range list {
		if inv.ID == inviteID {
			return inv, nil
		}
	}
	return org.InviteSummary{}, errInviteNotFound(op)
}

// AcceptMyInvite accepts an invitation listed by MyInvites as the signed-in
// caller (the account page's accept button, which has the invite's ID but
// never its emailed token). The same rules as AcceptInvite apply: single
// use, the inviter must still be allowed to grant the role.
func (s *Service) AcceptMyInvite(ctx context.Context, a Actor, inviteID string, src audit.Source) (Accepted, error) {
	const op = "tenancy.AcceptMyInvite"
	inv, err := s.myInvite(ctx, op, a, inviteID)
	if err != nil {
		return Accepted{}, err
	}
	var out Accepted
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = s.acceptTx(ctx, op, inv.TokenHash, a.User, src)
		return err
	})
	if err != nil {
		return Accepted{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// DeclineMyInvite turns down an invitation listed by MyInvites: it is
// cancelled (so its link stops working) and the refusal is audited in the
// organization's trail.
func (s *Service) DeclineMyInvite(ctx context.Context, a Actor, inviteID string, src audit.Source) error {
	const op = "tenancy.DeclineMyInvite"
	inv, err := s.myInvite(ctx, op, a, inviteID)
	if err != nil {
		return err
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.d.Invites.CancelInvite(ctx, inv.OrgID, inv.ID, s.now()); err != nil {
			if fault.Is(err, fault.NotFound) {
				return errInviteNotFound(op)
			}
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: a.User.ID, Action: audit.InviteCancelled, Success: true, ResourceType: "invite",
			ResourceID: inv.ID, OrgID: inv.OrgID, Description: "declined by the invitee", Extra: map[string]any{"email": inv.Email, "role": string(inv.Role)}})
	})
	return fault.Wrap(op, fault.Internal, err)
}
