package account

import (
	"context"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfa"
)

// RegisterInput is the body of a registration.
type RegisterInput struct {
	Email           string
	Password        string
	PasswordConfirm string
	FullName        string
	// RememberMe extends the first session's lifetime.
	RememberMe bool
	// EmailVerified creates the account with its email already verified
	// (the caller proved it, e.g. with an emailed invitation link); no
	// verification mail is sent.
	EmailVerified bool
	// OnCreate, when set, runs inside the registration transaction once
	// the account exists; its error undoes the registration.
	OnCreate func(ctx context.Context, u identity.User) error
}

// SessionGrant is a newly created session and its bearer token (shown once).
type SessionGrant struct {
	Token   string
	Session identity.Session
}

// Registration is the outcome of a registration.
type Registration struct {
	User identity.User
	// IsFirstUser is true for the first account of a fresh installation,
	// which becomes a platform admin.
	IsFirstUser bool
	SessionGrant
	OrgSetup
	// Compliance is the new user's MFA standing (nil without MFA wiring):
	// an organization joined during the registration (an invitation) may
	// require a method at once, which makes the first session
	// compliance-only (RequiresMFAEnrollment).
	Compliance            *mfa.Aggregate
	RequiresMFAEnrollment bool
}

// LoginResult is the registration as the outcome of a first factor: the
// new session, for the same continuation as a login (hosted pages).
func (r Registration) LoginResult() LoginResult {
	return LoginResult{User: r.User, SessionGrant: r.SessionGrant, OrgSetup: r.OrgSetup,
		Compliance: r.Compliance, RequiresMFAEnrollment: r.RequiresMFAEnrollment}
}

// Register creates an active account with a password, emails a verification
// link and signs the new user in. The account, its password, the link and
// the audit row are written in one transaction.
func (s *Service) Register(ctx context.Context, in RegisterInput, src audit.Source) (Registration, error) {
	const op = "account.Register"
	var v fault.Validation
	email, ok := identity.NormalizeEmail(in.Email)
	if in.Email == "" {
		v.Add("email", "Email is required")
	} else if !ok {
		v.Add("email", "Not a valid email address")
	}
	name := cleanName(&v, "full_name", in.FullName)
	s.checkNewPassword(&v, "password", in.Password, "password_confirm", in.PasswordConfirm, hints(email, name)...)
	if err := v.Err(op); err != nil {
		return Registration{}, err
	}
	hash, err := s.d.Hasher.Hash(in.Password)
	if err != nil {
		return Registration{}, fault.Wrap(op, fault.Internal, err)
	}
	now := s.now()
	u := identity.User{
		ID: newID(s.d.Random), Email: email, FullName: name, Status: identity.StatusActive,
		Activated: true, EmailVerified: in.EmailVerified, CreatedAt: now, UpdatedAt: now,
	}
	var first bool
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// The first account of a fresh installation becomes a platform
		// admin; the claim is race-free (two concurrent first
		// registrations cannot both win) and rolls back with the rest.
		var err error
		if first, err = s.d.Users.ClaimFirstUser(ctx, u.ID, now); err != nil {
			return err
		}
		u.IsPlatformAdmin = first
		if err := s.d.Users.CreateUser(ctx, u); err != nil {
			if fault.Is(err, fault.Conflict) {
				return &fault.Error{Op: op, Kind: fault.Conflict, Msg: "An account with this email already exists",
					Fields: map[string][]string{"email": {"An account with this email already exists"}}}
			}
			return err
		}
		if err := s.d.Passwords.SetPasswordHash(ctx, u.ID, hash, now); err != nil {
			return err
		}
		if !in.EmailVerified {
			if err := s.sendVerification(ctx, u); err != nil {
				return err
			}
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.UserRegister, Success: true}); err != nil {
			return err
		}
		if in.OnCreate != nil {
			return in.OnCreate(ctx, u)
		}
		return nil
	})
	if err != nil {
		return Registration{}, fault.Wrap(op, fault.Internal, err)
	}
	// The first session follows the login state machine's policy step: an
	// organization joined in OnCreate may require MFA without grace.
	var agg *mfa.Aggregate
	restricted := false
	if s.mfa != nil {
		a, err := s.mfa.EvaluateUser(ctx, u.ID, src)
		if err != nil {
			return Registration{}, fault.Wrap(op, fault.Internal, err)
		}
		agg, restricted = &a, a.Restricted()
	}
	grant, err := s.startSessionWith(ctx, u, in.RememberMe, []string{"pwd"}, restricted, src)
	if err != nil {
		return Registration{}, fault.Wrap(op, fault.Internal, err)
	}
	setup, err := s.orgSetup(ctx, u)
	if err != nil {
		return Registration{}, fault.Wrap(op, fault.Internal, err)
	}
	return Registration{User: u, IsFirstUser: first, SessionGrant: grant, OrgSetup: setup,
		Compliance: agg, RequiresMFAEnrollment: restricted}, nil
}

// LoginInput is the body of a password login.
type LoginInput struct {
	Email      string
	Password   string
	RememberMe bool
}

// LoginResult is the outcome of a login step: either Pending (a second
// factor is required; no session exists yet) or a session.
type LoginResult struct {
	User identity.User
	SessionGrant
	OrgSetup
	// Pending is set, and nothing else, when a second factor is required.
	Pending *PendingLogin
	// Compliance is the user's MFA standing (nil without MFA wiring).
	Compliance *mfa.Aggregate
	// RequiresMFAEnrollment marks a compliance-only session.
	RequiresMFAEnrollment bool
}

// Login checks an email and password and creates a session. Unknown emails,
// accounts without a password and wrong passwords get the same answer in the
// same time; failures are counted per account and per IP and lock both out
// with escalating delays.
func (s *Service) Login(ctx context.Context, in LoginInput, src audit.Source) (LoginResult, error) {
	const op = "account.Login"
	var v fault.Validation
	if in.Email == "" {
		v.Add("email", "Email is required")
	}
	if in.Password == "" {
		v.Add("password", "Password is required")
	}
	if err := v.Err(op); err != nil {
		return LoginResult{}, err
	}
	email, _ := identity.NormalizeEmail(in.Email)
	if email == "" {
		email = "invalid"
	}
	acctKey, ipKey := "login:acct:"+HashToken(email), "login:ip:"+src.IP
	if err := s.checkLock(ctx, op, acctKey, ipKey); err != nil {
		return LoginResult{}, err
	}

	u, uerr := s.d.Users.UserByEmail(ctx, email)
	var hash string
	var herr error
	if uerr == nil {
		hash, herr = s.d.Passwords.PasswordHash(ctx, u.ID)
	}
	switch {
	case uerr != nil && !fault.Is(uerr, fault.NotFound):
		return LoginResult{}, fault.Wrap(op, fault.Internal, uerr)
	case herr != nil && !fault.Is(herr, fault.NotFound):
		return LoginResult{}, fault.Wrap(op, fault.Internal, herr)
	}
	okPw, rehash := false, false
	if uerr == nil && herr == nil {
		var err error
		okPw, rehash, err = s.d.Hasher.Verify(hash, in.Password)
		if err != nil {
			return LoginResult{}, fault.Wrap(op, fault.Internal, err)
		}
	} else {
		s.d.Hasher.DummyVerify(in.Password)
	}
	if !okPw {
		actor, reason := "", "unknown_email"
		if uerr == nil {
			actor, reason = u.ID, "bad_password"
			if herr != nil {
				reason = "no_password"
			}
		}
		if err := s.registerFailure(ctx, acctKey, ipKey); err != nil {
			return LoginResult{}, fault.Wrap(op, fault.Internal, err)
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: actor, Action: audit.UserLogin, Success: false, Error: reason,
			ResourceType: "user", ResourceID: actor, Extra: map[string]any{"email": email}}); err != nil {
			return LoginResult{}, fault.Wrap(op, fault.Internal, err)
		}
		return LoginResult{}, errBadCredentials(op)
	}
	if err := statusError(op, u); err != nil {
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.UserLogin, Success: false, Error: string(u.Status)})
		return LoginResult{}, err
	}
	if rehash {
		if nh, err := s.d.Hasher.Hash(in.Password); err == nil {
			_ = s.d.Passwords.SetPasswordHash(ctx, u.ID, nh, s.now())
		}
	}
	if err := s.d.Counter.ResetCount(ctx, acctKey); err != nil {
		return LoginResult{}, fault.Wrap(op, fault.Internal, err)
	}
	pending, err := s.secondFactor(ctx, u, mfa.FactorPassword, in.RememberMe)
	if err != nil {
		return LoginResult{}, fault.Wrap(op, fault.Internal, err)
	}
	if pending != nil {
		// No session and no last_login_* until the second factor.
		return LoginResult{Pending: pending}, nil
	}
	return s.finish(ctx, op, u, in.RememberMe, []mfa.Factor{mfa.FactorPassword}, false, src)
}

// checkLock refuses an attempt while the account or the IP is locked out.
func (s *Service) checkLock(ctx context.Context, op string, keys ...string) error {
	for _, k := range keys {
		n, left, err := s.d.Counter.Count(ctx, k+":lock")
		if err != nil {
			return fault.Wrap(op, fault.Unavailable, err)
		}
		if n > 0 && left > 0 {
			return &fault.Error{Op: op, Kind: fault.RateLimited, Msg: "Too many failed attempts. Try again later.", RetryAfter: left}
		}
	}
	return nil
}

// registerFailure counts a failed attempt for the account and the IP and
// starts a lockout that doubles with every failure past the threshold.
func (s *Service) registerFailure(ctx context.Context, acctKey, ipKey string) error {
	lp := s.cfg.Lockout
	for _, k := range []struct {
		key       string
		threshold int
	}{{acctKey, lp.AccountThreshold}, {ipKey, lp.IPThreshold}} {
		n, _, err := s.d.Counter.Incr(ctx, k.key, lp.Memory)
		if err != nil {
			return err
		}
		if int(n) < k.threshold {
			continue
		}
		d := lp.Base
		for i := int64(k.threshold); i < n && d < lp.Max; i++ {
			d *= 2
		}
		if d > lp.Max {
			d = lp.Max
		}
		if err := s.d.Counter.ResetCount(ctx, k.key+":lock"); err != nil {
			return err
		}
		if _, _, err := s.d.Counter.Incr(ctx, k.key+":lock", d); err != nil {
			return err
		}
	}
	return nil
}

// startSessionWith creates a session (compliance-only when restricted)
// for u and audits it.
func (s *Service) startSessionWith(ctx context.Context, u identity.User, remember bool, amr []string, restricted bool, src audit.Source) (SessionGrant, error) {
	now := s.now()
	ttl, idle := s.cfg.SessionTTL, s.cfg.IdleTimeout
	if remember {
		ttl, idle = s.cfg.RememberMeTTL, s.cfg.RememberMeIdleTimeout
	}
	tok, hash := newToken(s.d.Random)
	sess := identity.Session{
		ID: newID(s.d.Random), TokenHash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl),
		LastSeenAt: now, IdleTimeout: idle, RememberMe: remember, IP: src.IP, UserAgent: src.UserAgent,
		AuthTime: now, AMR: amr, ComplianceOnly: restricted,
	}
	if err := s.d.Sessions.CreateSession(ctx, sess); err != nil {
		return SessionGrant{}, err
	}
	if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: audit.SessionCreate, Success: true, ResourceType: "session", ResourceID: sess.ID}); err != nil {
		return SessionGrant{}, err
	}
	return SessionGrant{Token: tok, Session: sess}, nil
}

// Authenticate resolves a bearer token to its session and user. It is on
// the path of every authenticated request: one session lookup, one user
// lookup, and a last-seen write at most once per TouchInterval.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	const op = "account.Authenticate"
	if len(token) < 20 || len(token) > 256 {
		return Principal{}, errInvalidToken(op)
	}
	sess, err := s.d.Sessions.SessionByTokenHash(ctx, HashToken(token))
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return Principal{}, errInvalidToken(op)
		}
		return Principal{}, fault.Wrap(op, fault.Unavailable, err)
	}
	now := s.now()
	if !sess.ActiveAt(now) {
		return Principal{}, errInvalidToken(op)
	}
	u, err := s.d.Users.UserByID(ctx, sess.UserID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			_ = s.d.Sessions.DeleteSession(ctx, sess.TokenHash)
			return Principal{}, errInvalidToken(op)
		}
		return Principal{}, fault.Wrap(op, fault.Unavailable, err)
	}
	if err := statusError(op, u); err != nil {
		return Principal{}, err
	}
	if now.Sub(sess.LastSeenAt) >= s.cfg.TouchInterval {
		if err := s.d.Sessions.TouchSession(ctx, sess.TokenHash, now); err != nil {
			if fault.Is(err, fault.NotFound) {
				return Principal{}, errInvalidToken(op)
			}
			return Principal{}, fault.Wrap(op, fault.Unavailable, err)
		}
		sess.LastSeenAt = now
	}
	return Principal{User: u, Session: sess}, nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, p Principal, src audit.Source) error {
	const op = "account.Logout"
	if err := s.d.Sessions.DeleteSession(ctx, p.Session.TokenHash); err != nil && !fault.Is(err, fault.NotFound) {
		return fault.Wrap(op, fault.Internal, err)
	}
	if s.d.Tokens != nil {
		if err := s.d.Tokens.EndSession(ctx, p.Session); err != nil {
			return fault.Wrap(op, fault.Internal, err)
		}
	}
	if err := s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.UserLogout, Success: true, ResourceType: "session", ResourceID: p.Session.ID}); err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	return nil
}

// SessionInfo is a session as shown to its owner (never the token).
type SessionInfo struct {
	identity.Session
	Current bool
}

// ListSessions lists the caller's live sessions, newest first.
func (s *Service) ListSessions(ctx context.Context, p Principal) ([]SessionInfo, error) {
	all, err := s.d.Sessions.SessionsByUser(ctx, p.User.ID)
	if err != nil {
		return nil, fault.Wrap("account.ListSessions", fault.Internal, err)
	}
	out := make([]SessionInfo, 0, len(all))
	for _, ss := range all {
		out = append(out, SessionInfo{Session: ss, Current: ss.TokenHash == p.Session.TokenHash})
	}
	return out, nil
}

// RevokeSession ends one of the caller's own sessions by its public ID.
// NotFound for unknown IDs and for other users' sessions alike.
func (s *Service) RevokeSession(ctx context.Context, p Principal, id string, src audit.Source) error {
	const op = "account.RevokeSession"
	all, err := s.d.Sessions.SessionsByUser(ctx, p.User.ID)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	for _, ss := range all {
		if ss.ID != id {
			continue
		}
		if err := s.d.Sessions.DeleteSession(ctx, ss.TokenHash); err != nil && !fault.Is(err, fault.NotFound) {
			return fault.Wrap(op, fault.Internal, err)
		}
		return s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.SessionRevoke, Success: true, ResourceType: "session", ResourceID: id})
	}
	return fault.E(op, fault.NotFound, "Session not found")
}

// RevokeOtherSessions ends every session of the caller but the current one.
func (s *Service) RevokeOtherSessions(ctx context.Context, p Principal, src audit.Source) (int, error) {
	const op = "account.RevokeOtherSessions"
	n, err := s.d.Sessions.DeleteUserSessions(ctx, p.User.ID, p.Session.TokenHash)
	if err != nil {
		return 0, fault.Wrap(op, fault.Internal, err)
	}
	err = s.record(ctx, src, audit.Entry{ActorID: p.User.ID, Action: audit.SessionRevoke, Success: true, ResourceType: "session",
		Description: "revoked all other sessions", Extra: map[string]any{"count": n}})
	return n, fault.Wrap(op, fault.Internal, err)
}

// revokeAll ends every session of a user (password reset, deletion).
func (s *Service) revokeAll(ctx context.Context, userID string) error {
	if _, err := s.d.Sessions.DeleteUserSessions(ctx, userID, ""); err != nil {
		return err
	}
	if s.d.Tokens != nil {
		return s.d.Tokens.RevokeUser(ctx, userID, "sessions_revoked")
	}
	return nil
}
