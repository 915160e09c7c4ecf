package mfaflow

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/org"
)

// adminGuard checks that viewer may manage target's MFA (SEED-SPEC 4.8,
// S F SA): a platform admin may act on anyone but themselves; an owner or
// admin of an organization acts on a member it outranks there (never on an
// owner of any organization or a platform admin). It returns the
// organization that granted the right ("" for a platform admin). NotFound
// when the target is outside the viewer's reach.
func (s *Service) adminGuard(ctx context.Context, op string, viewer identity.User, targetID string) (identity.User, string, error) {
	notFound := fault.E(op, fault.NotFound, "User not found")
	target, err := s.d.Users.UserByID(ctx, targetID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return identity.User{}, "", notFound
		}
		return identity.User{}, "", fault.Wrap(op, fault.Internal, err)
	}
	if target.ID == viewer.ID {
		return identity.User{}, "", &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "Use your own security settings"}
	}
	if viewer.IsPlatformAdmin {
		return target, "", nil
	}
	orgs, err := s.d.Members.OrgsOfUser(ctx, target.ID)
	if err != nil {
		return identity.User{}, "", fault.Wrap(op, fault.Internal, err)
	}
	grant, visible := "", false
	for _, uo := range orgs {
		role, err := s.d.Members.Role(ctx, uo.Org.ID, viewer.ID)
		if err != nil {
			if fault.Is(err, fault.NotFound) {
				continue
			}
			return identity.User{}, "", fault.Wrap(op, fault.Internal, err)
		}
		if role.Manages() {
			visible = true
			if org.CanActOn(role, uo.Membership.Role) && grant == "" {
				grant = uo.Org.ID
			}
		}
	}
	if !visible {
		return identity.User{}, "", notFound
	}
	for _, uo := range orgs {
		if uo.Membership.Role == org.Owner {
			return identity.User{}, "", &fault.Error{Op: op, Kind: fault.Forbidden, Code: "OWNER_PROTECTION", Msg: "Organization owners' MFA cannot be reset by an admin"}
		}
	}
	if target.IsPlatformAdmin || grant == "" {
		return identity.User{}, "", &fault.Error{Op: op, Kind: fault.Forbidden, Code: "AUTHORIZATION_ERROR", Msg: "You cannot manage this user's MFA"}
	}
	return target, grant, nil
}

// UserMFA is what an admin sees of a user's second factors.
type UserMFA struct {
	TOTP     TOTPStatus
	Passkeys []mfa.Passkey
}

// AdminUserMFA shows a user's second factors to an admin.
func (s *Service) AdminUserMFA(ctx context.Context, viewer identity.User, targetID string) (UserMFA, error) {
	const op = "mfaflow.AdminUserMFA"
	t, _, err := s.adminGuard(ctx, op, viewer, targetID)
	if err != nil {
		return UserMFA{}, err
	}
	st, err := s.StatusTOTP(ctx, t.ID)
	if err != nil {
		return UserMFA{}, err
	}
	pk, err := s.ListPasskeys(ctx, t.ID)
	return UserMFA{TOTP: st, Passkeys: pk}, err
}

// AdminResetMFA removes a user's TOTP ("totp"), passkeys ("webauthn", or
// one passkey with credentialID) or both ("all"), ends every session and
// OAuth token of the user, audits (admin.mfa.remove) and emails the user;
// compliance is re-evaluated (a grace period may start again).
func (s *Service) AdminResetMFA(ctx context.Context, viewer identity.User, targetID, what, credentialID string, src audit.Source) error {
	const op = "mfaflow.AdminResetMFA"
	if what != "totp" && what != "webauthn" && what != "all" {
		return fault.E(op, fault.NotFound, "Unknown MFA method")
	}
	if credentialID != "" && what != "webauthn" {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"credential_id": {"Only with webauthn"}}}
	}
	t, grant, err := s.adminGuard(ctx, op, viewer, targetID)
	if err != nil {
		return err
	}
	removed := 0
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		removed = 0
		if what == "totp" || what == "all" {
			switch err := s.d.MFA.DeleteTOTPMethod(ctx, t.ID); {
			case err == nil:
				removed++
			case !fault.Is(err, fault.NotFound):
				return err
			}
		}
		if what == "webauthn" || what == "all" {
			if credentialID != "" {
				if err := s.d.MFA.DeletePasskey(ctx, t.ID, credentialID); err != nil {
					return err
				}
				removed++
			} else {
				n, err := s.d.MFA.DeletePasskeys(ctx, t.ID)
				if err != nil {
					return err
				}
				removed += n
			}
		}
		if removed == 0 {
			return fault.E(op, fault.NotFound, "The user has no such method")
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: viewer.ID, OrgID: grant, Action: ActAdminMFARemove, Success: true,
			ResourceType: "user", ResourceID: t.ID, Extra: map[string]any{"method": what, "credential_id": credentialID, "removed": removed}}); err != nil {
			return err
		}
		return s.mail(ctx, t, message.MFADisabled, map[string]string{"method": "An administrator removed your second factors (" + what + ")"})
	})
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return err
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if err := s.revokeAll(ctx, t.ID, "admin_mfa_reset"); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.EvaluateUser(ctx, t.ID, src)
	return err
}
