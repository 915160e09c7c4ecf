// Package mfaflow holds the use cases of strong authentication: TOTP
// enrolment, verification, backup codes and status; passkey registration,
// login ceremonies and management; organization MFA policies, per-user
// overrides and compliance (with the scheduled job that reminds, suspends
// and restores); and the admin MFA reset. The login state machine in
// core/account calls the verification use cases here; nothing here creates
// sessions.
package mfaflow

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/ports"
)

// Audit actions written here (SEED-SPEC 14). They are action names, not
// credentials.
//
//nolint:gosec // G101: "totp" and "backup_code" in names are not secrets
const (
	ActTOTPEnrollInitiated   = "totp.enroll.initiated"
	ActTOTPEnrollCompleted   = "totp.enroll.completed"
	ActTOTPVerifySuccess     = "totp.verify.success"
	ActTOTPVerifyFailed      = "totp.verify.failed"
	ActTOTPDisabled          = "totp.disabled"
	ActBackupCodeUsed        = "totp.backup_code.used"
	ActBackupCodesRegen      = "totp.backup_codes.regenerated"
	ActWebAuthnRegInitiated  = "webauthn.register.initiated"
	ActWebAuthnRegCompleted  = "webauthn.register.completed"
	ActWebAuthnRegFailed     = "webauthn.register.failed"
	ActWebAuthnLoginInit     = "webauthn.login.initiated"
	ActWebAuthnLoginSuccess  = "webauthn.login.success"
	ActWebAuthnLoginFailed   = "webauthn.login.failed"
	ActWebAuthnCredDeleted   = "webauthn.credential.deleted"
	ActWebAuthnCredRenamed   = "webauthn.credential.renamed"
	ActOrgPolicyUpdate       = "org.security_policy.update"
	ActOverrideUpdate        = "user.security_policy.override_update"
	ActPolicyUserSuspended   = "mfa.policy.user_suspended"
	ActPolicyUserCompliant   = "mfa.policy.user_compliant"
	ActPolicyReminderSent    = "mfa.policy.reminder_sent"
	ActAdminMFARemove        = "admin.mfa.remove"
	ActMFAComplianceRestored = "mfa.policy.user_restored"
)

// Config holds the MFA settings. Zero values take the defaults.
type Config struct {
	// Issuer is the TOTP issuer and the brand in emails ("Secuird").
	Issuer string
	// PublicURL is the base of emailed links (security settings page).
	PublicURL string
	// CodeKey keys the hashes of backup codes (derived from SECRET_KEY),
	// so a database dump alone does not allow guessing them offline.
	CodeKey []byte
	// MaxFailures wrong codes per account within FailureWindow lock TOTP
	// verification until the window ends (10 per 15 min).
	MaxFailures   int
	FailureWindow time.Duration
	// CeremonyTTL is how long a WebAuthn challenge stays usable (5 min).
	CeremonyTTL time.Duration
	// PasswordlessUV is the user verification of passwordless passkey
	// logins ("required"); SecondFactorUV that of a passkey after a
	// password ("preferred"); RegistrationUV that of registrations
	// ("preferred").
	PasswordlessUV string
	SecondFactorUV string
	RegistrationUV string
	// JobLease is how long one run of the compliance job holds its lease
	// (10 min).
	JobLease time.Duration
}

func (c *Config) setDefaults() {
	if c.Issuer == "" {
		c.Issuer = "Secuird"
	}
	if c.MaxFailures <= 0 {
		c.MaxFailures = 10
	}
	if c.FailureWindow <= 0 {
		c.FailureWindow = 15 * time.Minute
	}
	if c.CeremonyTTL <= 0 {
		c.CeremonyTTL = 5 * time.Minute
	}
	if c.PasswordlessUV == "" {
		c.PasswordlessUV = "required"
	}
	if c.SecondFactorUV == "" {
		c.SecondFactorUV = "preferred"
	}
	if c.RegistrationUV == "" {
		c.RegistrationUV = "preferred"
	}
	if c.JobLease <= 0 {
		c.JobLease = 10 * time.Minute
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
}

// Deps are the ports the MFA use cases need.
type Deps struct {
	Tx        ports.Transactor
	Users     ports.UserStore
	Passwords ports.PasswordStore
	Hasher    ports.PasswordHasher
	MFA       ports.MFAStore
	Policies  ports.MFAPolicyStore
	Orgs      ports.OrgStore
	Members   ports.MembershipStore
	Sessions  ports.SessionStore
	// Tokens revokes a user's OAuth tokens with their sessions (nil: none).
	Tokens   ports.UserTokenRevoker
	Lease    ports.Lease
	Audit    ports.AuditLog
	Mailer   ports.Mailer
	Sealer   ports.Sealer
	OTP      ports.OTP
	WebAuthn ports.WebAuthn
	OneTime  ports.OneTimeStore
	Counter  ports.Counter
	Clock    ports.Clock
	Random   ports.Random
}

// Service runs the MFA use cases.
type Service struct {
	cfg Config
	d   Deps
}

// New builds the service.
func New(cfg Config, d Deps) *Service {
	cfg.setDefaults()
	return &Service{cfg: cfg, d: d}
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

// securityLink is the emailed link to the security settings.
func (s *Service) securityLink() string { return s.cfg.PublicURL + "/account/security" }

// codeHash is the keyed hash under which a backup code is stored.
func (s *Service) codeHash(userID, code string) string {
	m := hmac.New(sha256.New, s.cfg.CodeKey)
	m.Write([]byte(userID))
	m.Write([]byte{0})
	m.Write([]byte(code))
	return hex.EncodeToString(m.Sum(nil))
}

// revokeAll ends every session and OAuth token of a user.
func (s *Service) revokeAll(ctx context.Context, userID, reason string) error {
	if _, err := s.d.Sessions.DeleteUserSessions(ctx, userID, ""); err != nil {
		return err
	}
	if s.d.Tokens != nil {
		return s.d.Tokens.RevokeUser(ctx, userID, reason)
	}
	return nil
}

// newID returns a random (version 4) UUID.
func newID(r ports.Random) string {
	var b [16]byte
	r.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newHandle returns a random URL-safe handle (ceremony sessions).
func newHandle(r ports.Random) string {
	var b [24]byte
	r.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Proof is fresh evidence of identity for a sensitive change (disabling
// TOTP, new backup codes): the password when the user has one, or a
// current TOTP code. RecentAuth is set by the caller when the session
// proved a factor within the step-up window.
type Proof struct {
	Password   string
	Code       string
	RecentAuth bool
}

// checkProof verifies a Proof for u. Unauthenticated when it fails.
func (s *Service) checkProof(ctx context.Context, op string, u identity.User, p Proof) error {
	if p.Password != "" {
		hash, err := s.d.Passwords.PasswordHash(ctx, u.ID)
		if err != nil && !fault.Is(err, fault.NotFound) {
			return fault.Wrap(op, fault.Internal, err)
		}
		if err == nil {
			ok, _, verr := s.d.Hasher.Verify(hash, p.Password)
			if verr != nil {
				return fault.Wrap(op, fault.Internal, verr)
			}
			if ok {
				return nil
			}
		} else {
			s.d.Hasher.DummyVerify(p.Password)
		}
		return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Password is incorrect",
			Fields: map[string][]string{"password": {"Password is incorrect"}}}
	}
	if p.Code != "" {
		return s.verifyTOTP(ctx, op, u.ID, p.Code)
	}
	if p.RecentAuth {
		return nil
	}
	return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR",
		Msg: "Confirm it is you: enter your password or a current code", Fields: map[string][]string{"password": {"Password or code is required"}}}
}
