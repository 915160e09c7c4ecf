package mfaflow

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/ports"
)

// ceremony is what is kept server-side between the two steps of a
// WebAuthn ceremony, under a random handle, once.
type ceremony struct {
	Kind    string `json:"kind"` // "register" or "login"
	UserID  string `json:"user_id,omitempty"`
	Session []byte `json:"session"`
	// Purpose of a login: "passwordless", "second_factor" or "step_up".
	Purpose string `json:"purpose,omitempty"`
	// Bound is what a step-up ceremony is bound to besides the user: the
	// session it renews.
	Bound string `json:"bound,omitempty"`
}

func ceremonyKey(handle string) string { return "webauthn:ceremony:" + handle }

func (s *Service) putCeremony(ctx context.Context, c ceremony) (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	h := newHandle(s.d.Random)
	return h, s.d.OneTime.PutOnce(ctx, ceremonyKey(h), b, s.cfg.CeremonyTTL)
}

// takeCeremony returns the ceremony under handle and forgets it: a
// challenge is answered once. Unauthenticated when unknown or expired.
func (s *Service) takeCeremony(ctx context.Context, op, handle, kind string) (ceremony, error) {
	var c ceremony
	if handle == "" || len(handle) > 128 {
		return c, errCeremony(op)
	}
	b, err := s.d.OneTime.Take(ctx, ceremonyKey(handle))
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return c, errCeremony(op)
		}
		return c, fault.Wrap(op, fault.Unavailable, err)
	}
	if err := json.Unmarshal(b, &c); err != nil || c.Kind != kind {
		return c, errCeremony(op)
	}
	return c, nil
}

func errCeremony(op string) error {
	return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "The passkey challenge expired or was used; start again",
		Fields: map[string][]string{"session_token": {"Unknown or expired challenge"}}}
}

// handle is the WebAuthn user handle of a user: the account ID.
func handle(userID string) []byte { return []byte(userID) }

func (s *Service) passkeyUser(ctx context.Context, u identity.User) (ports.PasskeyUser, error) {
	pk, err := s.d.MFA.Passkeys(ctx, u.ID)
	if err != nil {
		return ports.PasskeyUser{}, err
	}
	name := u.FullName
	if name == "" {
		name = u.Email
	}
	return ports.PasskeyUser{Handle: handle(u.ID), Name: u.Email, DisplayName: name, Passkeys: pk}, nil
}

// Challenge is the first step of a WebAuthn ceremony: the options for the
// browser and the handle to send back with the response.
type Challenge struct {
	Options      json.RawMessage
	SessionToken string
}

// BeginRegistration starts registering a passkey for u.
func (s *Service) BeginRegistration(ctx context.Context, u identity.User, src audit.Source) (Challenge, error) {
	const op = "mfaflow.BeginRegistration"
	pu, err := s.passkeyUser(ctx, u)
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Internal, err)
	}
	opts, session, err := s.d.WebAuthn.BeginRegistration(pu, ports.PasskeyOptions{UserVerification: s.cfg.RegistrationUV})
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Internal, err)
	}
	h, err := s.putCeremony(ctx, ceremony{Kind: "register", UserID: u.ID, Session: session})
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Unavailable, err)
	}
	_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnRegInitiated, Success: true})
	return Challenge{Options: opts, SessionToken: h}, nil
}

// cleanPasskeyName validates a passkey name.
func cleanPasskeyName(op, name string) (string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > mfa.MaxPasskeyNameLen || strings.ContainsAny(name, "\x00\r\n") {
		return "", &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{"name": {"Must be at most 100 characters on one line"}}}
	}
	return name, nil
}

// FinishRegistration verifies the browser's response and stores the new
// passkey, named name or, when empty, after its authenticator model.
func (s *Service) FinishRegistration(ctx context.Context, u identity.User, sessionToken string, response []byte, name string, src audit.Source) (mfa.Passkey, error) {
	const op = "mfaflow.FinishRegistration"
	name, err := cleanPasskeyName(op, name)
	if err != nil {
		return mfa.Passkey{}, err
	}
	c, err := s.takeCeremony(ctx, op, sessionToken, "register")
	if err != nil {
		return mfa.Passkey{}, err
	}
	if c.UserID != u.ID {
		return mfa.Passkey{}, errCeremony(op)
	}
	pu, err := s.passkeyUser(ctx, u)
	if err != nil {
		return mfa.Passkey{}, fault.Wrap(op, fault.Internal, err)
	}
	p, err := s.d.WebAuthn.FinishRegistration(pu, c.Session, response)
	if err != nil {
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnRegFailed, Error: fault.KindOf(err).String()})
		return mfa.Passkey{}, err
	}
	now := s.now()
	p.ID, p.UserID, p.CreatedAt, p.UpdatedAt = newID(s.d.Random), u.ID, now, now
	p.Name = name
	if p.Name == "" {
		p.Name = s.d.WebAuthn.AuthenticatorName(p.AAGUID)
	}
	if p.Name == "" {
		p.Name = "Passkey"
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.MFA.AddPasskey(ctx, p); err != nil {
			return err
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnRegCompleted, Success: true,
			Extra: map[string]any{"credential": p.ID, "name": p.Name}}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.MFAEnabled, map[string]string{"method": "A passkey (" + p.Name + ")"})
	})
	if err != nil {
		if fault.Is(err, fault.Conflict) {
			return mfa.Passkey{}, fault.E(op, fault.Conflict, "This passkey is registered already")
		}
		return mfa.Passkey{}, fault.Wrap(op, fault.Internal, err)
	}
	if _, err := s.EvaluateUser(ctx, u.ID, src); err != nil {
		return mfa.Passkey{}, err
	}
	return p, nil
}

// ListPasskeys lists the user's passkeys.
func (s *Service) ListPasskeys(ctx context.Context, userID string) ([]mfa.Passkey, error) {
	pk, err := s.d.MFA.Passkeys(ctx, userID)
	return pk, fault.Wrap("mfaflow.ListPasskeys", fault.Internal, err)
}

// RenamePasskey renames one of the user's passkeys.
func (s *Service) RenamePasskey(ctx context.Context, u identity.User, id, name string, src audit.Source) (mfa.Passkey, error) {
	const op = "mfaflow.RenamePasskey"
	name, err := cleanPasskeyName(op, name)
	if err != nil {
		return mfa.Passkey{}, err
	}
	if name == "" {
		return mfa.Passkey{}, &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"name": {"Name is required"}}}
	}
	var out mfa.Passkey
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if out, err = s.d.MFA.RenamePasskey(ctx, u.ID, id, name, s.now()); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnCredRenamed, Success: true, Extra: map[string]any{"credential": id}})
	})
	if err != nil {
		return mfa.Passkey{}, fault.Wrap(op, fault.Internal, err)
	}
	return out, nil
}

// DeletePasskey removes one of the user's passkeys. The last one is kept
// (409) when it is the user's only way to sign in (no password) or an
// organization requires a passkey from the user.
func (s *Service) DeletePasskey(ctx context.Context, u identity.User, id string, src audit.Source) error {
	const op = "mfaflow.DeletePasskey"
	all, err := s.d.MFA.Passkeys(ctx, u.ID)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	found := false
	for _, p := range all {
		found = found || p.ID == id
	}
	if !found {
		return fault.E(op, fault.NotFound, "Passkey not found")
	}
	if len(all) == 1 {
		_, perr := s.d.Passwords.PasswordHash(ctx, u.ID)
		if perr != nil && !fault.Is(perr, fault.NotFound) {
			return fault.Wrap(op, fault.Internal, perr)
		}
		if perr != nil {
			return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "This passkey is your only way to sign in; set a password or add another passkey first"}
		}
		needs, err := s.needs(ctx, u.ID)
		if err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
		for _, n := range needs {
			if n.Need.WebAuthn {
				return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "An organization you belong to requires a passkey; add another one first"}
			}
		}
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.MFA.DeletePasskey(ctx, u.ID, id); err != nil {
			return err
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnCredDeleted, Success: true, Extra: map[string]any{"credential": id}}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.MFADisabled, map[string]string{"method": "A passkey"})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.EvaluateUser(ctx, u.ID, src)
	return err
}

// BeginPasskeyLogin starts a login ceremony. With a user (the second step
// after a password, or a passwordless login by email) only that user's
// passkeys are allowed; without one any discoverable credential is
// (username-less login, optionally as conditional UI). Passwordless logins
// require user verification by default.
func (s *Service) BeginPasskeyLogin(ctx context.Context, u *identity.User, secondFactor, conditional bool) (Challenge, error) {
	const op = "mfaflow.BeginPasskeyLogin"
	o := ports.PasskeyOptions{UserVerification: s.cfg.PasswordlessUV, Conditional: conditional}
	c := ceremony{Kind: "login", Purpose: "passwordless"}
	if secondFactor {
		o.UserVerification, c.Purpose = s.cfg.SecondFactorUV, "second_factor"
	}
	var pu *ports.PasskeyUser
	if u != nil {
		p, err := s.passkeyUser(ctx, *u)
		if err != nil {
			return Challenge{}, fault.Wrap(op, fault.Internal, err)
		}
		if len(p.Passkeys) > 0 {
			pu, c.UserID = &p, u.ID
		}
	}
	opts, session, err := s.d.WebAuthn.BeginLogin(pu, o)
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Internal, err)
	}
	c.Session = session
	h, err := s.putCeremony(ctx, c)
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Unavailable, err)
	}
	return Challenge{Options: opts, SessionToken: h}, nil
}

// PasskeyLogin is a verified passkey assertion.
type PasskeyLogin struct {
	User         identity.User
	Passkey      mfa.Passkey
	UserVerified bool
	SecondFactor bool
	// Factor is hwk, or swk for a synced (backup-eligible) passkey.
	Factor mfa.Factor
}

func errPasskey(op string) error {
	return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Passkey verification failed"}
}

// FinishPasskeyLogin verifies a login assertion: the challenge is used
// once, the credential must be registered (to the expected user, when the
// ceremony named one), the library verifies signature, RP ID, origin and
// user verification, and a sign counter that did not grow refuses the
// login and is audited. wantUserID, when set, is the user the caller
// expects (the pending login of a second step); a second-factor ceremony
// requires it.
func (s *Service) FinishPasskeyLogin(ctx context.Context, sessionToken string, response []byte, wantUserID string, src audit.Source) (PasskeyLogin, error) {
	const op = "mfaflow.FinishPasskeyLogin"
	c, err := s.takeCeremony(ctx, op, sessionToken, "login")
	if err != nil {
		return PasskeyLogin{}, err
	}
	if c.Purpose == "step_up" {
		// A step-up challenge renews one session; it signs nobody in.
		_ = s.record(ctx, src, audit.Entry{ActorID: c.UserID, Action: ActWebAuthnLoginFailed, Error: "step_up_ceremony_for_login"})
		return PasskeyLogin{}, errPasskey(op)
	}
	if c.Purpose == "second_factor" && wantUserID == "" {
		// A second-factor ceremony (user verification only preferred)
		// never stands in for a passwordless login: it needs the pending
		// login's user.
		_ = s.record(ctx, src, audit.Entry{ActorID: c.UserID, Action: ActWebAuthnLoginFailed, Error: "second_factor_without_pending_login"})
		return PasskeyLogin{}, errPasskey(op)
	}
	return s.verifyAssertion(ctx, op, c, response, wantUserID, src)
}

// verifyAssertion checks a login assertion against its ceremony c: the
// credential must be registered (to c's user and to wantUserID, when
// set), the library verifies signature, RP ID, origin and user
// verification, a sign counter that did not grow is refused and audited,
// and passwordless and step-up ceremonies need user verification when
// the policy requires it.
func (s *Service) verifyAssertion(ctx context.Context, op string, c ceremony, response []byte, wantUserID string, src audit.Source) (PasskeyLogin, error) {
	credID, _, err := s.d.WebAuthn.ParseAssertion(response)
	if err != nil {
		return PasskeyLogin{}, err
	}
	pk, err := s.d.MFA.PasskeyByCredentialID(ctx, credID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			_ = s.record(ctx, src, audit.Entry{Action: ActWebAuthnLoginFailed, Error: "unknown_credential"})
			return PasskeyLogin{}, errPasskey(op)
		}
		return PasskeyLogin{}, fault.Wrap(op, fault.Internal, err)
	}
	if (c.UserID != "" && pk.UserID != c.UserID) || (wantUserID != "" && pk.UserID != wantUserID) {
		_ = s.record(ctx, src, audit.Entry{ActorID: pk.UserID, Action: ActWebAuthnLoginFailed, Error: "other_user"})
		return PasskeyLogin{}, errPasskey(op)
	}
	u, err := s.d.Users.UserByID(ctx, pk.UserID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return PasskeyLogin{}, errPasskey(op)
		}
		return PasskeyLogin{}, fault.Wrap(op, fault.Internal, err)
	}
	pu, err := s.passkeyUser(ctx, u)
	if err != nil {
		return PasskeyLogin{}, fault.Wrap(op, fault.Internal, err)
	}
	a, err := s.d.WebAuthn.FinishLogin(pu, c.Session, response)
	if err != nil {
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnLoginFailed, Error: "verification_failed", Extra: map[string]any{"credential": pk.ID}})
		return PasskeyLogin{}, err
	}
	if a.CounterRegressed {
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnLoginFailed, Error: "sign_count_regression",
			Description: "the authenticator's sign counter did not grow: it may be cloned",
			Extra:       map[string]any{"credential": pk.ID, "stored": pk.SignCount, "received": a.SignCount}})
		return PasskeyLogin{}, errPasskey(op)
	}
	if (c.Purpose == "passwordless" || c.Purpose == "step_up") && s.cfg.PasswordlessUV == "required" && !a.UserVerified {
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnLoginFailed, Error: "user_not_verified", Extra: map[string]any{"credential": pk.ID}})
		return PasskeyLogin{}, errPasskey(op)
	}
	if err := s.d.MFA.RecordPasskeyUse(ctx, u.ID, pk.ID, pk.SignCount, a.SignCount, a.Record, s.now()); err != nil {
		if fault.Is(err, fault.Conflict) {
			// A concurrent login moved the counter: this one is a replay.
			return PasskeyLogin{}, errPasskey(op)
		}
		return PasskeyLogin{}, fault.Wrap(op, fault.Internal, err)
	}
	_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnLoginSuccess, Success: true, Extra: map[string]any{"credential": pk.ID, "purpose": c.Purpose}})
	f := mfa.FactorHWK
	if pk.BackupEligible {
		f = mfa.FactorSWK
	}
	return PasskeyLogin{User: u, Passkey: pk, UserVerified: a.UserVerified, SecondFactor: c.Purpose == "second_factor", Factor: f}, nil
}

// BeginPasskeyStepUp starts a step-up (re-authentication) ceremony for
// the signed-in user u: only u's passkeys are allowed, user verification
// follows the passwordless policy, and the challenge is bound to u and to
// the session bind (its ID) and good once, for CeremonyTTL. NotFound when
// u has no passkey.
func (s *Service) BeginPasskeyStepUp(ctx context.Context, u identity.User, bind string) (Challenge, error) {
	const op = "mfaflow.BeginPasskeyStepUp"
	pu, err := s.passkeyUser(ctx, u)
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Internal, err)
	}
	if len(pu.Passkeys) == 0 {
		return Challenge{}, fault.E(op, fault.NotFound, "You have no passkey")
	}
	opts, session, err := s.d.WebAuthn.BeginLogin(&pu, ports.PasskeyOptions{UserVerification: s.cfg.PasswordlessUV})
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Internal, err)
	}
	h, err := s.putCeremony(ctx, ceremony{Kind: "login", Purpose: "step_up", UserID: u.ID, Bound: bind, Session: session})
	if err != nil {
		return Challenge{}, fault.Wrap(op, fault.Unavailable, err)
	}
	return Challenge{Options: opts, SessionToken: h}, nil
}

// FinishPasskeyStepUp verifies the assertion of a step-up ceremony begun
// by BeginPasskeyStepUp for the same user and session. Any other
// ceremony (a sign-in's) is refused, as is a counter regression.
func (s *Service) FinishPasskeyStepUp(ctx context.Context, sessionToken string, response []byte, u identity.User, bind string, src audit.Source) (PasskeyLogin, error) {
	const op = "mfaflow.FinishPasskeyStepUp"
	c, err := s.takeCeremony(ctx, op, sessionToken, "login")
	if err != nil {
		return PasskeyLogin{}, err
	}
	if c.Purpose != "step_up" || c.UserID != u.ID || c.Bound != bind {
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActWebAuthnLoginFailed, Error: "not_a_step_up_ceremony"})
		return PasskeyLogin{}, errPasskey(op)
	}
	return s.verifyAssertion(ctx, op, c, response, u.ID, src)
}

// PasskeyStatus is what GET /auth/webauthn/status shows.
type PasskeyStatus struct {
	Enabled bool
	Count   int
}

// StatusPasskeys returns the user's passkey status.
func (s *Service) StatusPasskeys(ctx context.Context, userID string) (PasskeyStatus, error) {
	pk, err := s.d.MFA.Passkeys(ctx, userID)
	if err != nil {
		return PasskeyStatus{}, fault.Wrap("mfaflow.StatusPasskeys", fault.Internal, err)
	}
	return PasskeyStatus{Enabled: len(pk) > 0, Count: len(pk)}, nil
}
