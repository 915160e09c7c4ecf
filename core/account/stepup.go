package account

import (
	"context"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
)

// FullAccess reports whether the principal may use more than the MFA
// enrolment allow-list (SEED-SPEC 3.5 level F): a compliance-only session
// or a compliance-suspended account may not.
func (p Principal) FullAccess() bool {
	return !p.Session.ComplianceOnly && p.User.Status != identity.StatusComplianceSuspended
}

// RequireFullAccess answers 403 MFA_COMPLIANCE_REQUIRED for a principal
// without full access, with details.overall_status (the user's current
// aggregate; "compliant" means: sign in again for a full session).
func (s *Service) RequireFullAccess(ctx context.Context, p Principal) error {
	const op = "account.RequireFullAccess"
	if p.FullAccess() {
		return nil
	}
	overall := mfa.StatusPastDue
	if p.User.Status == identity.StatusComplianceSuspended {
		overall = mfa.StatusSuspended
	}
	if s.mfa != nil {
		if agg, err := s.mfa.EvaluateUser(ctx, p.User.ID, audit.Source{}); err == nil {
			overall = agg.Overall
		}
	}
	return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "MFA_COMPLIANCE_REQUIRED",
		Msg:     "Set up the second factor your organization requires to continue",
		Details: map[string]any{"overall_status": string(overall)}}
}

// RequireRecentAuth refuses a sensitive change (password change, TOTP
// disable, new backup codes, passkey or account deletion) when the
// session last proved a factor more than StepUpMaxAge ago: 403
// REAUTHENTICATION_REQUIRED, cured by Reauthenticate.
func (s *Service) RequireRecentAuth(p Principal) error {
	at := p.Session.AuthTime
	if at.IsZero() {
		at = p.Session.CreatedAt
	}
	if s.now().Sub(at) <= s.cfg.StepUpMaxAge {
		return nil
	}
	return &fault.Error{Op: "account.RequireRecentAuth", Kind: fault.Forbidden, Code: "REAUTHENTICATION_REQUIRED",
		Msg:     "Confirm it is you: sign in again with your password, a code or a passkey",
		Details: map[string]any{"max_age_seconds": int(s.cfg.StepUpMaxAge / time.Second)}}
}

// ReauthInput is fresh proof for step-up: the password, a current TOTP
// code, or a passkey assertion (Credential) answering the step-up
// challenge named by CeremonyToken (BeginPasskeyReauth).
type ReauthInput struct {
	Password      string
	Code          string
	CeremonyToken string
	Credential    []byte
}

// BeginPasskeyReauth starts a passkey step-up for the principal: request
// options for the user's own passkeys, with a single-use challenge bound
// to the user and the session. NotFound when the user has no passkey.
func (s *Service) BeginPasskeyReauth(ctx context.Context, p Principal) (mfaflow.Challenge, error) {
	const op = "account.BeginPasskeyReauth"
	if s.mfa == nil {
		return mfaflow.Challenge{}, fault.E(op, fault.NotFound, "Passkeys are not available")
	}
	return s.mfa.BeginPasskeyStepUp(ctx, p.User, p.Session.ID)
}

// Reauthenticate checks fresh proof and moves the session's AuthTime to
// now, adding the factor to its AMR. The session keeps its token; it is
// stored again under the same hash.
func (s *Service) Reauthenticate(ctx context.Context, p Principal, in ReauthInput, src audit.Source) (identity.Session, error) {
	const op = "account.Reauthenticate"
	var f mfa.Factor
	userVerified := false
	switch {
	case len(in.Credential) > 0 && s.mfa != nil:
		pl, err := s.mfa.FinishPasskeyStepUp(ctx, in.CeremonyToken, in.Credential, p.User, p.Session.ID, src)
		if err != nil {
			if !fault.Is(err, fault.Internal) && !fault.Is(err, fault.Unavailable) {
				_ = s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserLogin, Error: "reauth_bad_passkey"})
			}
			return identity.Session{}, err
		}
		f, userVerified = pl.Factor, pl.UserVerified
	case in.Password != "":
		hash, err := s.d.Passwords.PasswordHash(ctx, p.User.ID)
		if err != nil && !fault.Is(err, fault.NotFound) {
			return identity.Session{}, fault.Wrap(op, fault.Internal, err)
		}
		ok := false
		if err == nil {
			if ok, _, err = s.d.Hasher.Verify(hash, in.Password); err != nil {
				return identity.Session{}, fault.Wrap(op, fault.Internal, err)
			}
		} else {
			s.d.Hasher.DummyVerify(in.Password)
		}
		if !ok {
			_ = s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserLogin, Error: "reauth_bad_password"})
			return identity.Session{}, &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Password is incorrect",
				Fields: map[string][]string{"password": {"Password is incorrect"}}}
		}
		f = mfa.FactorPassword
	case in.Code != "" && s.mfa != nil:
		if err := s.mfa.VerifyCode(ctx, p.User, in.Code, src); err != nil {
			return identity.Session{}, err
		}
		f = mfa.FactorOTP
	default:
		var v fault.Validation
		v.Add("password", "Password or code is required")
		return identity.Session{}, v.Err(op)
	}
	sess := p.Session
	factors := []mfa.Factor{f}
	for _, a := range sess.AMR {
		factors = append(factors, mfa.Factor(a))
		// A session that had "mfa" keeps it.
		userVerified = userVerified || a == string(mfa.FactorMFA)
	}
	sess.AuthTime, sess.AMR = s.now(), mfa.AMR(factors, userVerified)
	// The session store has no update: the session is written again under
	// the same token hash (the bearer token does not change).
	if err := s.d.Sessions.DeleteSession(ctx, sess.TokenHash); err != nil {
		return identity.Session{}, fault.Wrap(op, fault.Internal, err)
	}
	if err := s.d.Sessions.CreateSession(ctx, sess); err != nil {
		return identity.Session{}, fault.Wrap(op, fault.Internal, err)
	}
	err := s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserLogin, Success: true, ResourceType: "session",
		ResourceID: sess.ID, Description: "re-authenticated", Extra: map[string]any{"amr": sess.AMR}})
	return sess, fault.Wrap(op, fault.Internal, err)
}
