// Package account holds the use cases of accounts and sessions: register,
// log in and out, list and revoke sessions, verify email, reset and change
// passwords, edit and delete the profile, and authenticate bearer tokens.
package account

import (
	"context"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports"
)

// Config holds the account policy. Zero durations take the defaults.
type Config struct {
	// PublicURL is the externally visible base URL used in every emailed link.
	PublicURL string
	// SessionTTL is the absolute lifetime of a session (24 h).
	SessionTTL time.Duration
	// RememberMeTTL is the absolute lifetime with remember_me (30 days).
	RememberMeTTL time.Duration
	// IdleTimeout ends an unused session (12 h; 14 days with remember_me).
	IdleTimeout           time.Duration
	RememberMeIdleTimeout time.Duration
	// TouchInterval is how often last-seen is written (1 min).
	TouchInterval time.Duration
	// VerifyTTL and ResetTTL are the link lifetimes (24 h, 2 h).
	VerifyTTL time.Duration
	ResetTTL  time.Duration
	// Lockout policy for failed logins.
	Lockout LockoutPolicy
	// SkipPasswordPolicy disables the strength check (seeding only).
	SkipPasswordPolicy bool
	// StepUpMaxAge is how recent the session's last proof must be for a
	// sensitive change (10 min; SECUIRD_STEP_UP_MAX_AGE).
	StepUpMaxAge time.Duration
}

// LockoutPolicy escalates lockouts after repeated failed logins.
type LockoutPolicy struct {
	// AccountThreshold failures on one account start a lockout (5).
	AccountThreshold int
	// IPThreshold failures from one IP start a lockout of that IP (30).
	IPThreshold int
	// Base is the first lockout (1 min); each further failure doubles it.
	Base time.Duration
	// Max caps a lockout (15 min).
	Max time.Duration
	// Memory is how long failures are remembered (24 h).
	Memory time.Duration
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.SessionTTL, 24*time.Hour)
	def(&c.RememberMeTTL, 30*24*time.Hour)
	def(&c.IdleTimeout, 12*time.Hour)
	def(&c.RememberMeIdleTimeout, 14*24*time.Hour)
	def(&c.TouchInterval, time.Minute)
	def(&c.VerifyTTL, 24*time.Hour)
	def(&c.ResetTTL, 2*time.Hour)
	def(&c.StepUpMaxAge, 10*time.Minute)
	def(&c.Lockout.Base, time.Minute)
	def(&c.Lockout.Max, 15*time.Minute)
	def(&c.Lockout.Memory, 24*time.Hour)
	if c.Lockout.AccountThreshold <= 0 {
		c.Lockout.AccountThreshold = 5
	}
	if c.Lockout.IPThreshold <= 0 {
		c.Lockout.IPThreshold = 30
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Deps are the ports the account use cases need.
type Deps struct {
	Tx        ports.Transactor
	Users     ports.UserStore
	Passwords ports.PasswordStore
	Links     ports.LinkTokenStore
	Audit     ports.AuditLog
	Mailer    ports.Mailer
	Sessions  ports.SessionStore
	Counter   ports.Counter
	Hasher    ports.PasswordHasher
	Policy    ports.PasswordPolicy
	Clock     ports.Clock
	Random    ports.Random
	// Orgs answers for organizations (nil: none); see Orgs.
	Orgs Orgs
	// Tokens revokes a user's OAuth tokens when all sessions end (nil: none).
	Tokens ports.UserTokenRevoker
}

// Service runs the account use cases.
type Service struct {
	cfg Config
	d   Deps
	// mfa and oneTime drive the second step of logins (UseSecondFactors).
	mfa     SecondFactors
	oneTime ports.OneTimeStore
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, d: d}
}

// Principal is an authenticated caller: the user and the session used.
type Principal struct {
	User    identity.User
	Session identity.Session
}

// Errors shared by several use cases.
var (
	errInvalidToken = func(op string) error {
		return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "INVALID_TOKEN", Msg: "Invalid or expired token"}
	}
	errBadCredentials = func(op string) error {
		return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Invalid email or password"}
	}
)

// statusError refuses users whose status or activation forbids access.
func statusError(op string, u identity.User) error {
	switch {
	case u.Status == identity.StatusSuspended || u.Status == identity.StatusInactive:
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "ACCOUNT_SUSPENDED", Msg: "This account is suspended"}
	case !u.Activated || u.Status == identity.StatusPending:
		return &fault.Error{Op: op, Kind: fault.Forbidden, Code: "ACCOUNT_NOT_ACTIVATED", Msg: "This account is not activated"}
	}
	return nil
}

func (s *Service) now() time.Time { return s.d.Clock.Now().UTC() }

// record appends an audit entry.
func (s *Service) record(ctx context.Context, src audit.Source, e audit.Entry) error {
	e.ID = newID(s.d.Random)
	e.At = s.now()
	e.Source = src
	if e.ResourceType == "" && e.ResourceID == "" && e.ActorID != "" {
		e.ResourceType, e.ResourceID = "user", e.ActorID
	}
	return s.d.Audit.AppendAudit(ctx, e)
}

// checkNewPassword validates a new password and its confirmation.
func (s *Service) checkNewPassword(v *fault.Validation, field, pw, confirmField, confirm string, hints ...string) {
	if pw == "" {
		v.Add(field, "Password is required")
	} else if p := identity.PasswordLengthProblem(pw); p != "" {
		v.Add(field, p)
	} else if !s.cfg.SkipPasswordPolicy && s.d.Policy != nil {
		if w := s.d.Policy.Weakness(pw, hints); w != "" {
			v.Add(field, w)
		}
	}
	if confirmField != "" && pw != confirm {
		v.Add(confirmField, "Passwords do not match")
	}
}

// link builds an emailed link under the public URL.
func (s *Service) link(path, param, value string) string {
	return s.cfg.PublicURL + path + "?" + param + "=" + url.QueryEscape(value)
}

// issueLink replaces the user's unused tokens of a purpose with a new one and
// returns the raw token (only ever put into an email).
func (s *Service) issueLink(ctx context.Context, userID string, p identity.LinkPurpose, ttl time.Duration) (string, error) {
	if err := s.d.Links.DeleteLinkTokens(ctx, userID, p); err != nil {
		return "", err
	}
	tok, hash := newToken(s.d.Random)
	now := s.now()
	err := s.d.Links.CreateLinkToken(ctx, identity.LinkToken{
		ID: newID(s.d.Random), UserID: userID, Purpose: p, Hash: hash,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	return tok, err
}

func humanDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 24*time.Hour:
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "24 hours"
		}
		return itoa(n) + " days"
	case d%time.Hour == 0:
		n := int(d / time.Hour)
		if n == 1 {
			return "1 hour"
		}
		return itoa(n) + " hours"
	default:
		return itoa(int(d/time.Minute)) + " minutes"
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// sendVerification emails a fresh verification link.
func (s *Service) sendVerification(ctx context.Context, u identity.User) error {
	tok, err := s.issueLink(ctx, u.ID, identity.PurposeVerifyEmail, s.cfg.VerifyTTL)
	if err != nil {
		return err
	}
	return s.d.Mailer.Enqueue(ctx, message.Email{
		To: u.Email, ToName: u.FullName, Template: message.VerifyEmail,
		Vars:      map[string]string{"name": u.FullName, "link": s.link("/verify-email", "token", tok), "expires_in": humanDuration(s.cfg.VerifyTTL)},
		Sensitive: []string{"link"},
	})
}

// cleanName validates a display name.
func cleanName(v *fault.Validation, field, name string) string {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 255 {
		v.Add(field, "Must be at most 255 characters")
	}
	if strings.ContainsAny(name, "\x00\r\n") {
		v.Add(field, "Must not contain control characters")
	}
	return name
}

// hints returns the user's own words, which a password must not be built on.
func hints(email, name string) []string {
	h := []string{email}
	if at := strings.IndexByte(email, '@'); at > 0 {
		h = append(h, email[:at])
	}
	if name != "" {
		h = append(h, strings.Fields(name)...)
	}
	return h
}
