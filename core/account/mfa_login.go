package account

import (
	"context"
	"encoding/json"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/ports"
)

// The login state machine (SEED-SPEC 8.1, 9.5):
//
//	first factor (password, passwordless passkey, invite sign-up)
//	  -> second factor required? (a passkey, else TOTP)   -> pending login
//	  -> MFA policy: past_due / suspended                 -> compliance-only session
//	  -> otherwise                                        -> full session
//
// A pending login is not a session: it is a random token, stored hashed in
// the one-time store for PendingTTL, bound to the user, the first factor
// and remember_me, and good for one successful second step (at most
// PendingAttempts tries). Only finish creates sessions and sets
// last_login_*.

// SecondFactors is what the login state machine needs from the MFA use
// cases; *mfaflow.Service implements it.
type SecondFactors interface {
	Methods(ctx context.Context, userID string) (mfa.Methods, error)
	VerifyCode(ctx context.Context, u identity.User, code string, src audit.Source) error
	VerifyBackupCode(ctx context.Context, u identity.User, code string, src audit.Source) error
	EvaluateUser(ctx context.Context, userID string, src audit.Source) (mfa.Aggregate, error)
	BeginPasskeyLogin(ctx context.Context, u *identity.User, secondFactor, conditional bool) (mfaflow.Challenge, error)
	FinishPasskeyLogin(ctx context.Context, sessionToken string, response []byte, wantUserID string, src audit.Source) (mfaflow.PasskeyLogin, error)
	BeginPasskeyStepUp(ctx context.Context, u identity.User, bind string) (mfaflow.Challenge, error)
	FinishPasskeyStepUp(ctx context.Context, sessionToken string, response []byte, u identity.User, bind string, src audit.Source) (mfaflow.PasskeyLogin, error)
}

// UseSecondFactors plugs the MFA use cases into the login state machine
// (wiring: the MFA service is built after the account service). Without
// it a login ends with the first factor.
func (s *Service) UseSecondFactors(m SecondFactors, oneTime ports.OneTimeStore) {
	s.mfa, s.oneTime = m, oneTime
}

const (
	// PendingTTL is the lifetime of a pending login.
	PendingTTL = 5 * time.Minute
	// PendingAttempts is how many second-step tries one pending login allows.
	PendingAttempts = 5
)

// PendingLogin is a login waiting for its second factor. Token is shown
// once to the client, which sends it with the second step.
type PendingLogin struct {
	Token            string
	ExpiresAt        time.Time
	RequiresTOTP     bool
	RequiresWebAuthn bool
	// TOTPAccepted is true when the user has TOTP, so the code step works
	// even when a passkey is asked for.
	TOTPAccepted bool
}

// pendingState is what the one-time store keeps under the token's hash.
type pendingState struct {
	UserID     string    `json:"u"`
	Factor     string    `json:"f"`
	RememberMe bool      `json:"r"`
	HasTOTP    bool      `json:"t"`
	Attempts   int       `json:"a"`
	ExpiresAt  time.Time `json:"e"`
}

func pendingKey(token string) string { return "login:pending:" + HashToken(token) }

// errPending is the answer for an unknown, used or expired pending login.
func errPending(op string) error {
	return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "INVALID_TOKEN",
		Msg: "The sign-in has expired or is invalid. Sign in again."}
}

// secondFactor decides whether u needs a second factor after the first
// factor f, and if so stores a pending login and returns it.
func (s *Service) secondFactor(ctx context.Context, u identity.User, f mfa.Factor, remember bool) (*PendingLogin, error) {
	if s.mfa == nil {
		return nil, nil
	}
	m, err := s.mfa.Methods(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if !m.Any() {
		return nil, nil
	}
	tok, _ := newToken(s.d.Random)
	now := s.now()
	st := pendingState{UserID: u.ID, Factor: string(f), RememberMe: remember, HasTOTP: m.TOTP, ExpiresAt: now.Add(PendingTTL)}
	if err := s.putPending(ctx, tok, st); err != nil {
		return nil, err
	}
	// A passkey has priority over TOTP (SEED-SPEC 8.1 step 3); the TOTP
	// step also accepts this pending login when the user has TOTP too.
	return &PendingLogin{Token: tok, ExpiresAt: st.ExpiresAt, RequiresWebAuthn: m.WebAuthn, RequiresTOTP: !m.WebAuthn, TOTPAccepted: m.TOTP}, nil
}

func (s *Service) putPending(ctx context.Context, tok string, st pendingState) error {
	ttl := st.ExpiresAt.Sub(s.now())
	if ttl <= 0 {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return s.oneTime.PutOnce(ctx, pendingKey(tok), b, ttl)
}

// takePending removes and returns a pending login. The caller puts it
// back (failed attempt) with givePending or lets it go (success).
func (s *Service) takePending(ctx context.Context, op, tok string) (pendingState, identity.User, error) {
	if s.mfa == nil || tok == "" || len(tok) > 256 {
		return pendingState{}, identity.User{}, errPending(op)
	}
	b, err := s.oneTime.Take(ctx, pendingKey(tok))
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return pendingState{}, identity.User{}, errPending(op)
		}
		return pendingState{}, identity.User{}, fault.Wrap(op, fault.Unavailable, err)
	}
	var st pendingState
	if json.Unmarshal(b, &st) != nil || !s.now().Before(st.ExpiresAt) {
		return pendingState{}, identity.User{}, errPending(op)
	}
	u, err := s.d.Users.UserByID(ctx, st.UserID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return pendingState{}, identity.User{}, errPending(op)
		}
		return pendingState{}, identity.User{}, fault.Wrap(op, fault.Internal, err)
	}
	if err := statusError(op, u); err != nil {
		return pendingState{}, identity.User{}, err
	}
	return st, u, nil
}

// givePending puts a pending login back after a failed attempt, unless it
// has used up its attempts.
func (s *Service) givePending(ctx context.Context, tok string, st pendingState) {
	st.Attempts++
	if st.Attempts >= PendingAttempts {
		return
	}
	_ = s.putPending(ctx, tok, st)
}

// finish ends a login whose factors are complete: it evaluates the MFA
// policy, creates a full or compliance-only session, sets last_login_*
// and audits the login.
func (s *Service) finish(ctx context.Context, op string, u identity.User, remember bool, factors []mfa.Factor, userVerified bool, src audit.Source) (LoginResult, error) {
	var res LoginResult
	// A compliance-suspended account completes authentication and gets a
	// compliance-only session (SEED-SPEC 8.1 defect).
	restricted := u.Status == identity.StatusComplianceSuspended
	if s.mfa != nil {
		agg, err := s.mfa.EvaluateUser(ctx, u.ID, src)
		if err != nil {
			return LoginResult{}, fault.Wrap(op, fault.Internal, err)
		}
		res.Compliance = &agg
		// EvaluateUser lifts a compliance suspension that no longer holds.
		restricted = agg.Restricted()
	}
	now := s.now()
	u, err := s.d.Users.UpdateUser(ctx, u.ID, func(old identity.User) (identity.User, error) {
		old.LastLoginAt, old.LastLoginIP, old.UpdatedAt = &now, src.IP, now
		return old, nil
	})
	if err != nil {
		return LoginResult{}, fault.Wrap(op, fault.Internal, err)
	}
	amr := mfa.AMR(factors, userVerified)
	if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.UserLogin, Success: true,
		Extra: map[string]any{"amr": amr, "compliance_only": restricted}}); err != nil {
		return LoginResult{}, fault.Wrap(op, fault.Internal, err)
	}
	grant, err := s.startSessionWith(ctx, u, remember, amr, restricted, src)
	if err != nil {
		return LoginResult{}, fault.Wrap(op, fault.Internal, err)
	}
	setup, err := s.orgSetup(ctx, u)
	if err != nil {
		return LoginResult{}, fault.Wrap(op, fault.Internal, err)
	}
	res.User, res.SessionGrant, res.OrgSetup, res.RequiresMFAEnrollment = u, grant, setup, restricted
	return res, nil
}

// TOTPStepInput is the second step of a login with a TOTP or backup code.
type TOTPStepInput struct {
	PendingToken string
	Code         string
	IsBackupCode bool
}

// CompleteTOTP is the TOTP second step (POST /auth/totp/verify): it
// accepts a pending login that asked for TOTP or for a passkey (when the
// user also has TOTP). The pending login is used up by a success, or by
// PendingAttempts failures.
func (s *Service) CompleteTOTP(ctx context.Context, in TOTPStepInput, src audit.Source) (LoginResult, error) {
	const op = "account.CompleteTOTP"
	if in.Code == "" {
		var v fault.Validation
		v.Add("code", "Code is required")
		return LoginResult{}, v.Err(op)
	}
	st, u, err := s.takePending(ctx, op, in.PendingToken)
	if err != nil {
		return LoginResult{}, err
	}
	if !st.HasTOTP {
		s.givePending(ctx, in.PendingToken, st)
		return LoginResult{}, &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR",
			Msg: "Use your passkey to finish signing in"}
	}
	if in.IsBackupCode {
		err = s.mfa.VerifyBackupCode(ctx, u, in.Code, src)
	} else {
		err = s.mfa.VerifyCode(ctx, u, in.Code, src)
	}
	if err != nil {
		if !fault.Is(err, fault.Internal) && !fault.Is(err, fault.Unavailable) {
			s.givePending(ctx, in.PendingToken, st)
		} else {
			_ = s.putPending(ctx, in.PendingToken, st)
		}
		return LoginResult{}, err
	}
	return s.finish(ctx, op, u, st.RememberMe, []mfa.Factor{mfa.Factor(st.Factor), mfa.FactorOTP}, false, src)
}

// PasskeyBeginInput starts a passkey login: with PendingToken, the second
// step of a password login; with Email, a passwordless login by that
// account's passkeys; with neither, a discoverable (username-less) login.
type PasskeyBeginInput struct {
	PendingToken string
	Email        string
	Conditional  bool
}

// BeginPasskeyLogin starts a passkey login ceremony. An unknown email
// gets discoverable options (the answer does not reveal accounts).
func (s *Service) BeginPasskeyLogin(ctx context.Context, in PasskeyBeginInput) (mfaflow.Challenge, error) {
	const op = "account.BeginPasskeyLogin"
	if s.mfa == nil {
		return mfaflow.Challenge{}, fault.E(op, fault.NotFound, "Passkeys are not available")
	}
	if in.PendingToken != "" {
		st, u, err := s.takePending(ctx, op, in.PendingToken)
		if err != nil {
			return mfaflow.Challenge{}, err
		}
		// Starting the ceremony is not an attempt: put it back as it was.
		if err := s.putPending(ctx, in.PendingToken, st); err != nil {
			return mfaflow.Challenge{}, fault.Wrap(op, fault.Unavailable, err)
		}
		return s.mfa.BeginPasskeyLogin(ctx, &u, true, false)
	}
	var target *identity.User
	if in.Email != "" {
		if email, ok := identity.NormalizeEmail(in.Email); ok {
			if u, err := s.d.Users.UserByEmail(ctx, email); err == nil {
				target = &u
			} else if !fault.Is(err, fault.NotFound) {
				return mfaflow.Challenge{}, fault.Wrap(op, fault.Internal, err)
			}
		}
	}
	return s.mfa.BeginPasskeyLogin(ctx, target, false, in.Conditional)
}

// PasskeyFinishInput completes a passkey login.
type PasskeyFinishInput struct {
	PendingToken  string
	CeremonyToken string
	Credential    []byte
	RememberMe    bool
}

// CompletePasskeyLogin verifies the assertion. After a password (a
// pending login) it is the second factor; otherwise it is a passwordless
// first factor, which needs user verification and so satisfies MFA on
// its own.
func (s *Service) CompletePasskeyLogin(ctx context.Context, in PasskeyFinishInput, src audit.Source) (LoginResult, error) {
	const op = "account.CompletePasskeyLogin"
	if s.mfa == nil {
		return LoginResult{}, fault.E(op, fault.NotFound, "Passkeys are not available")
	}
	if in.PendingToken != "" {
		st, u, err := s.takePending(ctx, op, in.PendingToken)
		if err != nil {
			return LoginResult{}, err
		}
		pl, err := s.mfa.FinishPasskeyLogin(ctx, in.CeremonyToken, in.Credential, u.ID, src)
		if err != nil {
			s.givePending(ctx, in.PendingToken, st)
			return LoginResult{}, err
		}
		return s.finish(ctx, op, u, st.RememberMe, []mfa.Factor{mfa.Factor(st.Factor), pl.Factor}, pl.UserVerified, src)
	}
	pl, err := s.mfa.FinishPasskeyLogin(ctx, in.CeremonyToken, in.Credential, "", src)
	if err != nil {
		return LoginResult{}, err
	}
	if pl.SecondFactor || !pl.UserVerified {
		// A second-factor ceremony (user verification only preferred)
		// must not stand in for a passwordless login.
		return LoginResult{}, &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Passkey verification failed"}
	}
	if err := statusError(op, pl.User); err != nil {
		_ = s.record(ctx, src, audit.Entry{ActorID: pl.User.ID, Action: audit.UserLogin, Success: false, Error: string(pl.User.Status)})
		return LoginResult{}, err
	}
	return s.finish(ctx, op, pl.User, in.RememberMe, []mfa.Factor{pl.Factor}, true, src)
}

// PendingInfo describes a pending login without using it (to show the
// second-step form again). Unauthenticated when it is unknown or expired.
func (s *Service) PendingInfo(ctx context.Context, tok string) (*PendingLogin, error) {
	const op = "account.PendingInfo"
	st, u, err := s.takePending(ctx, op, tok)
	if err != nil {
		return nil, err
	}
	if err := s.putPending(ctx, tok, st); err != nil {
		return nil, fault.Wrap(op, fault.Unavailable, err)
	}
	m, err := s.mfa.Methods(ctx, u.ID)
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	return &PendingLogin{Token: tok, ExpiresAt: st.ExpiresAt, RequiresWebAuthn: m.WebAuthn, RequiresTOTP: !m.WebAuthn, TOTPAccepted: st.HasTOTP}, nil
}
