package account

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
)

// Profile is a user with the facts the account page shows.
type Profile struct {
	User        identity.User
	HasPassword bool
	// Orgs are the user's live organizations with their roles.
	Orgs []org.UserOrg
}

// Me returns the caller's profile.
func (s *Service) Me(ctx context.Context, p Principal) (Profile, error) {
	_, err := s.d.Passwords.PasswordHash(ctx, p.User.ID)
	if err != nil && !fault.Is(err, fault.NotFound) {
		return Profile{}, fault.Wrap("account.Me", fault.Internal, err)
	}
	out := Profile{User: p.User, HasPassword: err == nil, Orgs: []org.UserOrg{}}
	if s.d.Orgs != nil {
		orgs, err := s.d.Orgs.UserOrgs(ctx, p.User.ID)
		if err != nil {
			return Profile{}, fault.Wrap("account.Me", fault.Internal, err)
		}
		out.Orgs = orgs
	}
	return out, nil
}

// ProfileInput changes the profile; nil fields are left alone.
type ProfileInput struct {
	FullName  *string
	AvatarURL *string
}

// UpdateProfile edits the caller's name and avatar.
func (s *Service) UpdateProfile(ctx context.Context, p Principal, in ProfileInput, src audit.Source) (identity.User, error) {
	const op = "account.UpdateProfile"
	var v fault.Validation
	var name, avatar string
	if in.FullName != nil {
		name = cleanName(&v, "full_name", *in.FullName)
	}
	if in.AvatarURL != nil {
		avatar = strings.TrimSpace(*in.AvatarURL)
		if avatar != "" {
			u, err := url.Parse(avatar)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(avatar) > 2048 || u.User != nil {
				v.Add("avatar_url", "Must be an http(s) URL of at most 2048 characters")
			}
		}
	}
	if err := v.Err(op); err != nil {
		return identity.User{}, err
	}
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var changed []string
		var err error
		out, err = s.d.Users.UpdateUser(ctx, p.User.ID, func(u identity.User) (identity.User, error) {
			changed = changed[:0]
			if in.FullName != nil && u.FullName != name {
				u.FullName = name
				changed = append(changed, "full_name")
			}
			if in.AvatarURL != nil && u.AvatarURL != avatar {
				u.AvatarURL = avatar
				changed = append(changed, "avatar_url")
			}
			u.UpdatedAt = s.now()
			return u, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserUpdate, Success: true, Extra: map[string]any{"fields": changed}})
	})
	return out, fault.Wrap(op, fault.Internal, err)
}

// ChangePasswordInput is the body of a password change.
type ChangePasswordInput struct {
	CurrentPassword    string
	NewPassword        string
	NewPasswordConfirm string
}

// ChangePassword replaces the caller's password after checking the current
// one, and signs out every other session.
func (s *Service) ChangePassword(ctx context.Context, p Principal, in ChangePasswordInput, src audit.Source) error {
	const op = "account.ChangePassword"
	var v fault.Validation
	if in.CurrentPassword == "" {
		v.Add("current_password", "Current password is required")
	}
	s.checkNewPassword(&v, "new_password", in.NewPassword, "new_password_confirm", in.NewPasswordConfirm, hints(p.User.Email, p.User.FullName)...)
	if err := v.Err(op); err != nil {
		return err
	}
	acctKey := "login:acct:" + HashToken(p.User.Email)
	if err := s.checkLock(ctx, op, acctKey); err != nil {
		return err
	}
	hash, err := s.d.Passwords.PasswordHash(ctx, p.User.ID)
	if err != nil && !fault.Is(err, fault.NotFound) {
		return fault.Wrap(op, fault.Internal, err)
	}
	ok := false
	if err == nil {
		if ok, _, err = s.d.Hasher.Verify(hash, in.CurrentPassword); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
	}
	if !ok {
		if err := s.registerFailure(ctx, acctKey, "login:ip:"+src.IP); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		_ = s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserPasswordChange, Success: false, Error: "bad_password"})
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Current password is incorrect",
			Fields: map[string][]string{"current_password": {"Current password is incorrect"}}}
	}
	if in.NewPassword == in.CurrentPassword {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{"new_password": {"New password must differ from the current one"}}}
	}
	nh, err := s.d.Hasher.Hash(in.NewPassword)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Passwords.SetPasswordHash(ctx, p.User.ID, nh, s.now()); err != nil {
			return err
		}
		if err := s.passwordChangedMail(ctx, p.User); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserPasswordChange, Success: true})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.d.Sessions.DeleteUserSessions(ctx, p.User.ID, p.Session.TokenHash)
	return fault.Wrap(op, fault.Internal, err)
}

func (s *Service) passwordChangedMail(ctx context.Context, u identity.User) error {
	return s.d.Mailer.Enqueue(ctx, message.Email{To: u.Email, ToName: u.FullName, Template: message.PasswordChanged,
		Vars: map[string]string{"name": u.FullName, "link": s.cfg.PublicURL + "/forgot-password"}})
}

// DeleteAccount soft-deletes the caller's account and ends all its sessions.
// Audit rows keep the user's ID. With organizations configured it is
// refused (409 USER_IS_SOLE_OWNER) while the user is the only owner of an
// organization with other members; organizations the user is alone in are
// deleted with the account and memberships removed (Orgs.UserDeleting).
func (s *Service) DeleteAccount(ctx context.Context, p Principal, src audit.Source) error {
	const op = "account.DeleteAccount"
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		now := s.now()
		if s.d.Orgs != nil {
			if err := s.d.Orgs.UserDeleting(ctx, p.User, now, src); err != nil {
				return err
			}
		}
		if _, err := s.d.Users.UpdateUser(ctx, p.User.ID, func(u identity.User) (identity.User, error) {
			u.DeletedAt, u.UpdatedAt = &now, now
			return u, nil
		}); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserDelete, Success: true})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	return fault.Wrap(op, fault.Internal, s.revokeAll(ctx, p.User.ID))
}

// VerifyEmail consumes a verification token and marks the email verified.
func (s *Service) VerifyEmail(ctx context.Context, token string, src audit.Source) (identity.User, error) {
	const op = "account.VerifyEmail"
	if token == "" {
		return identity.User{}, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"token": {"Token is required"}}}
	}
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, err := s.d.Links.ConsumeLinkToken(ctx, identity.PurposeVerifyEmail, HashToken(token), s.now())
		if err != nil {
			return err
		}
		out, err = s.d.Users.UpdateUser(ctx, t.UserID, func(u identity.User) (identity.User, error) {
			u.EmailVerified, u.UpdatedAt = true, s.now()
			return u, nil
		})
		if err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: t.UserID, Action: audit.UserEmailVerified, Success: true})
	})
	if fault.Is(err, fault.NotFound) {
		return identity.User{}, badLinkToken(op)
	}
	return out, fault.Wrap(op, fault.Internal, err)
}

func badLinkToken(op string) error {
	return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Invalid or expired token", Fields: map[string][]string{"token": {"Invalid or expired token"}}}
}

// ResendVerification emails a new verification link if the address belongs
// to an unverified account. It answers the same in every case; at most
// three links per address and hour are sent.
func (s *Service) ResendVerification(ctx context.Context, email string) error {
	const op = "account.ResendVerification"
	u, ok, err := s.mailTarget(ctx, op, email, "verify")
	if err != nil || !ok || u.EmailVerified {
		return err
	}
	return fault.Wrap(op, fault.Internal, s.d.Tx.InTx(ctx, func(ctx context.Context) error { return s.sendVerification(ctx, u) }))
}

// ForgotPassword emails a password-reset link if the address has an account.
// It answers the same in every case; at most five links per address and hour.
func (s *Service) ForgotPassword(ctx context.Context, email string, src audit.Source) error {
	const op = "account.ForgotPassword"
	u, ok, err := s.mailTarget(ctx, op, email, "reset")
	if err != nil || !ok {
		return err
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		tok, err := s.issueLink(ctx, u.ID, identity.PurposeResetPassword, s.cfg.ResetTTL)
		if err != nil {
			return err
		}
		return s.d.Mailer.Enqueue(ctx, message.Email{To: u.Email, ToName: u.FullName, Template: message.PasswordReset,
			Vars:      map[string]string{"name": u.FullName, "link": s.link("/reset-password", "token", tok), "expires_in": humanDuration(s.cfg.ResetTTL), "ip": src.IP},
			Sensitive: []string{"link"}})
	})
	return fault.Wrap(op, fault.Internal, err)
}

// mailTarget validates an address, applies the per-address cap and finds the
// live account. ok is false when nothing should be sent.
func (s *Service) mailTarget(ctx context.Context, op, email, kind string) (identity.User, bool, error) {
	e, valid := identity.NormalizeEmail(email)
	if !valid {
		return identity.User{}, false, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"email": {"Not a valid email address"}}}
	}
	limit := int64(3)
	if kind == "reset" {
		limit = 5
	}
	n, _, err := s.d.Counter.Incr(ctx, "mail:"+kind+":"+HashToken(e), time.Hour)
	if err != nil {
		return identity.User{}, false, fault.Wrap(op, fault.Unavailable, err)
	}
	if n > limit {
		return identity.User{}, false, nil
	}
	u, err := s.d.Users.UserByEmail(ctx, e)
	if fault.Is(err, fault.NotFound) {
		return identity.User{}, false, nil
	}
	if err != nil {
		return identity.User{}, false, fault.Wrap(op, fault.Internal, err)
	}
	if statusError(op, u) != nil {
		// Suspended accounts get the same silent answer as unknown ones.
		return identity.User{}, false, nil //nolint:nilerr // deliberate: no mail, no error
	}
	return u, true, nil
}

// ResetInput is the body of a password reset.
type ResetInput struct {
	Token           string
	Password        string
	PasswordConfirm string
}

// ResetPassword sets a new password from a reset link, marks the email
// verified (the link proved it), and signs out every session of the user.
// The token is spent only when the new password is accepted.
func (s *Service) ResetPassword(ctx context.Context, in ResetInput, src audit.Source) error {
	const op = "account.ResetPassword"
	var v fault.Validation
	if in.Token == "" {
		v.Add("token", "Token is required")
	}
	s.checkNewPassword(&v, "password", in.Password, "password_confirm", in.PasswordConfirm)
	if err := v.Err(op); err != nil {
		return err
	}
	nh, err := s.d.Hasher.Hash(in.Password)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	var u identity.User
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		t, err := s.d.Links.ConsumeLinkToken(ctx, identity.PurposeResetPassword, HashToken(in.Token), s.now())
		if err != nil {
			return err
		}
		now := s.now()
		u, err = s.d.Users.UpdateUser(ctx, t.UserID, func(u identity.User) (identity.User, error) {
			u.EmailVerified, u.UpdatedAt = true, now
			return u, nil
		})
		if err != nil {
			return err
		}
		if p := s.policyProblem(in.Password, u); p != "" {
			return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"password": {p}}}
		}
		if err := s.d.Passwords.SetPasswordHash(ctx, u.ID, nh, now); err != nil {
			return err
		}
		if err := s.passwordChangedMail(ctx, u); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.UserPasswordReset, Success: true})
	})
	if fault.Is(err, fault.NotFound) {
		return badLinkToken(op)
	}
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	if err := s.d.Counter.ResetCount(ctx, "login:acct:"+HashToken(u.Email)); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	return fault.Wrap(op, fault.Internal, s.revokeAll(ctx, u.ID))
}

// policyProblem checks a password against the user's own words.
func (s *Service) policyProblem(pw string, u identity.User) string {
	if s.cfg.SkipPasswordPolicy || s.d.Policy == nil {
		return ""
	}
	return s.d.Policy.Weakness(pw, hints(u.Email, u.FullName))
}
