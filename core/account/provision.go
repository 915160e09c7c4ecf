package account

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
)

// ProvisionInput describes an account created by an operator (seed data,
// imports): no email is sent and no session is created.
type ProvisionInput struct {
	Email         string
	FullName      string
	Password      string
	EmailVerified bool
	PlatformAdmin bool
}

// Provision creates the account unless one with that email exists,
// soft-deleted included: a deleted account is returned (DeletedAt set),
// not revived or replaced. created reports which happened. The strength
// policy is not applied: the operator chose the password.
func (s *Service) Provision(ctx context.Context, in ProvisionInput) (u identity.User, created bool, err error) {
	const op = "account.Provision"
	email, ok := identity.NormalizeEmail(in.Email)
	if !ok {
		return identity.User{}, false, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"email": {"Not a valid email address"}}}
	}
	if p := identity.PasswordLengthProblem(in.Password); p != "" {
		return identity.User{}, false, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"password": {p}}}
	}
	if u, err := s.d.Users.UserByEmailAny(ctx, email); err == nil {
		return u, false, nil
	} else if !fault.Is(err, fault.NotFound) {
		return identity.User{}, false, err
	}
	hash, err := s.d.Hasher.Hash(in.Password)
	if err != nil {
		return identity.User{}, false, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	u = identity.User{
		ID: newID(s.d.Random), Email: email, FullName: in.FullName, EmailVerified: in.EmailVerified,
		Status: identity.StatusActive, Activated: true, IsPlatformAdmin: in.PlatformAdmin, CreatedAt: now, UpdatedAt: now,
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// An operator-provisioned account counts as the installation's
		// first user, so a later self-registration does not become a
		// platform admin; the flag itself is the operator's choice.
		if _, err := s.d.Users.ClaimFirstUser(ctx, u.ID, now); err != nil {
			return err
		}
		if err := s.d.Users.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := s.d.Passwords.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
			return err
		}
		return s.record(ctx, audit.Source{}, audit.Entry{ActorID: u.ID, Action: audit.UserRegister, Success: true, Description: "provisioned by operator"})
	})
	if err != nil {
		return identity.User{}, false, fault.Wrap(op, fault.Internal, err)
	}
	return u, true, nil
}
