package mfaflow

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/mfa"
)

// Enrollment is a started TOTP enrolment, shown to the user once.
type Enrollment struct {
	Secret          string
	ProvisioningURI string
	QRCode          string // PNG data URI
	BackupCodes     []string
}

func aad(userID string) []byte { return []byte("totp:" + userID) }

// EnrollTOTP starts a TOTP enrolment: a new secret (sealed at rest) and 10
// backup codes (stored as keyed hashes), replacing any unverified method.
// Conflict when TOTP is already enabled.
func (s *Service) EnrollTOTP(ctx context.Context, u identity.User, src audit.Source) (Enrollment, error) {
	const op = "mfaflow.EnrollTOTP"
	cur, err := s.d.MFA.TOTPMethod(ctx, u.ID)
	switch {
	case err == nil && cur.Verified():
		return Enrollment{}, fault.E(op, fault.Conflict, "Two-factor authentication is already enabled")
	case err != nil && !fault.Is(err, fault.NotFound):
		return Enrollment{}, fault.Wrap(op, fault.Internal, err)
	}
	secret, uri, err := s.d.OTP.NewKey(s.cfg.Issuer, u.Email)
	if err != nil {
		return Enrollment{}, fault.Wrap(op, fault.Internal, err)
	}
	qr, err := s.d.OTP.QRCode(uri)
	if err != nil {
		return Enrollment{}, fault.Wrap(op, fault.Internal, err)
	}
	sealed, keyID, err := s.d.Sealer.Seal([]byte(secret), aad(u.ID))
	if err != nil {
		return Enrollment{}, fault.Wrap(op, fault.Internal, err)
	}
	codes, hashes := s.newBackupCodes(u.ID)
	now := s.now()
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.MFA.PutTOTPMethod(ctx, mfa.TOTP{UserID: u.ID, SealedSecret: sealed, SealKeyID: keyID, CreatedAt: now, UpdatedAt: now}, hashes); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPEnrollInitiated, Success: true})
	})
	if err != nil {
		return Enrollment{}, fault.Wrap(op, fault.Internal, err)
	}
	return Enrollment{Secret: secret, ProvisioningURI: uri, QRCode: qr, BackupCodes: codes}, nil
}

// newBackupCodes makes 10 codes of 16 upper-case hex characters and their
// hashes.
func (s *Service) newBackupCodes(userID string) (codes, hashes []string) {
	for range mfa.BackupCodes {
		var b [mfa.BackupCodeLen / 2]byte
		s.d.Random.Read(b[:])
		c := toUpperHex(b[:])
		codes = append(codes, c)
		hashes = append(hashes, s.codeHash(userID, c))
	}
	return codes, hashes
}

func toUpperHex(b []byte) string {
	h := []byte(hex.EncodeToString(b))
	for i, c := range h {
		if c >= 'a' && c <= 'f' {
			h[i] = c - 'a' + 'A'
		}
	}
	return string(h)
}

// matchStep returns the time step within one step of now whose code is
// code, or false. Every candidate is computed and compared in constant
// time.
func (s *Service) matchStep(secret, code string, now time.Time) (int64, bool, error) {
	var found int64
	ok := false
	for d := -mfa.TOTPSkew; d <= mfa.TOTPSkew; d++ {
		step := mfa.Step(now) + int64(d)
		want, err := s.d.OTP.Code(secret, mfa.StepTime(step))
		if err != nil {
			return 0, false, err
		}
		if mfa.EqualCodes(want, code) && !ok {
			found, ok = step, true
		}
	}
	return found, ok, nil
}

func errBadCode(op string) error {
	return &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTHENTICATION_ERROR", Msg: "Invalid verification code",
		Fields: map[string][]string{"code": {"Invalid verification code"}}}
}

// failureKey is the per-account counter of wrong codes.
func failureKey(userID string) string { return "mfa:fail:" + userID }

// checkFailures refuses while the account has too many recent wrong
// codes. The counter failing refuses too (fail closed).
func (s *Service) checkFailures(ctx context.Context, op, userID string) error {
	n, left, err := s.d.Counter.Count(ctx, failureKey(userID))
	if err != nil {
		return fault.Wrap(op, fault.Unavailable, err)
	}
	if n >= int64(s.cfg.MaxFailures) {
		return &fault.Error{Op: op, Kind: fault.RateLimited, Msg: "Too many wrong codes. Try again later.", RetryAfter: left}
	}
	return nil
}

func (s *Service) countFailure(ctx context.Context, userID string) {
	_, _, _ = s.d.Counter.Incr(ctx, failureKey(userID), s.cfg.FailureWindow)
}

// openSecret decrypts the method's secret.
func (s *Service) openSecret(t mfa.TOTP) (string, error) {
	b, err := s.d.Sealer.Open(t.SealedSecret, t.SealKeyID, aad(t.UserID))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// verifyTOTP checks a code of the user's verified method at the server's
// time (one step either side) and consumes its time step, so the code and
// every earlier one are refused from then on. Wrong codes count towards
// the per-account limit. Unauthenticated for a wrong or reused code;
// RateLimited past the limit; NotFound without a verified method.
func (s *Service) verifyTOTP(ctx context.Context, op, userID, code string) error {
	if err := s.checkFailures(ctx, op, userID); err != nil {
		return err
	}
	code = mfa.NormalizeCode(code)
	t, err := s.d.MFA.TOTPMethod(ctx, userID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return fault.E(op, fault.NotFound, "Two-factor authentication is not enabled")
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if !t.Verified() {
		return fault.E(op, fault.NotFound, "Two-factor authentication is not enabled")
	}
	if !mfa.ValidTOTPCode(code) {
		s.countFailure(ctx, userID)
		return errBadCode(op)
	}
	secret, err := s.openSecret(t)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	step, ok, err := s.matchStep(secret, code, s.now())
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	if !ok || step <= t.LastStep {
		s.countFailure(ctx, userID)
		return errBadCode(op)
	}
	// The conditional update is the replay check: of two requests with the
	// same code exactly one moves the step; a store error refuses.
	if err := s.d.MFA.AcceptTOTPStep(ctx, userID, step, s.now()); err != nil {
		if fault.Is(err, fault.Conflict) {
			s.countFailure(ctx, userID)
			return errBadCode(op)
		}
		return fault.Wrap(op, fault.Unavailable, err)
	}
	_ = s.d.Counter.ResetCount(ctx, failureKey(userID))
	return nil
}

// VerifyEnrollment confirms a started enrolment with a current code:
// TOTP becomes a second factor, the user is emailed and their compliance
// re-evaluated.
func (s *Service) VerifyEnrollment(ctx context.Context, u identity.User, code string, src audit.Source) error {
	const op = "mfaflow.VerifyEnrollment"
	if err := s.checkFailures(ctx, op, u.ID); err != nil {
		return err
	}
	code = mfa.NormalizeCode(code)
	if !mfa.ValidTOTPCode(code) {
		return &fault.Error{Op: op, Kind: fault.Invalid, Msg: "Validation failed", Fields: map[string][]string{"code": {"Enter the 6-digit code"}}}
	}
	t, err := s.d.MFA.TOTPMethod(ctx, u.ID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return fault.E(op, fault.NotFound, "Start the enrolment first")
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if t.Verified() {
		return fault.E(op, fault.Conflict, "Two-factor authentication is already enabled")
	}
	secret, err := s.openSecret(t)
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	step, ok, err := s.matchStep(secret, code, s.now())
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	if !ok {
		s.countFailure(ctx, u.ID)
		_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPVerifyFailed, Error: "bad_code", Description: "enrolment"})
		return errBadCode(op)
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.MFA.MarkTOTPVerified(ctx, u.ID, step, s.now()); err != nil {
			if fault.Is(err, fault.NotFound) {
				return fault.E(op, fault.Conflict, "Two-factor authentication is already enabled")
			}
			return err
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPEnrollCompleted, Success: true}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.MFAEnabled, map[string]string{"method": "An authenticator app"})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_ = s.d.Counter.ResetCount(ctx, failureKey(u.ID))
	_, err = s.EvaluateUser(ctx, u.ID, src)
	return err
}

// mail queues a message to u with the security link.
func (s *Service) mail(ctx context.Context, u identity.User, tpl string, vars map[string]string) error {
	if vars == nil {
		vars = map[string]string{}
	}
	if _, ok := vars["link"]; !ok {
		vars["link"] = s.securityLink()
	}
	vars["name"] = u.FullName
	return s.d.Mailer.Enqueue(ctx, message.Email{To: u.Email, ToName: u.FullName, Template: tpl, Vars: vars})
}

// VerifyCode checks a login TOTP code (the second step of a login). It
// audits the outcome. See verifyTOTP for the errors.
func (s *Service) VerifyCode(ctx context.Context, u identity.User, code string, src audit.Source) error {
	const op = "mfaflow.VerifyCode"
	if err := s.verifyTOTP(ctx, op, u.ID, code); err != nil {
		if fault.Is(err, fault.Unauthenticated) {
			_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPVerifyFailed, Error: "bad_code"})
		}
		return err
	}
	return s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPVerifySuccess, Success: true})
}

// VerifyBackupCode consumes one backup code of u (the second step of a
// login) and emails the user that it was used. Unauthenticated for an
// unknown or used code; RateLimited past the failure limit.
func (s *Service) VerifyBackupCode(ctx context.Context, u identity.User, code string, src audit.Source) error {
	const op = "mfaflow.VerifyBackupCode"
	if err := s.checkFailures(ctx, op, u.ID); err != nil {
		return err
	}
	t, err := s.d.MFA.TOTPMethod(ctx, u.ID)
	if err != nil || !t.Verified() {
		if err != nil && !fault.Is(err, fault.NotFound) {
			return fault.Wrap(op, fault.Internal, err)
		}
		return fault.E(op, fault.NotFound, "Two-factor authentication is not enabled")
	}
	norm, ok := mfa.NormalizeBackupCode(code)
	if !ok {
		s.countFailure(ctx, u.ID)
		return errBadCode(op)
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		left, err := s.d.MFA.UseBackupCode(ctx, u.ID, s.codeHash(u.ID, norm), s.now())
		if err != nil {
			return err
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActBackupCodeUsed, Success: true, Extra: map[string]any{"remaining": left}}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.BackupCodeUsed, map[string]string{"remaining": strconv.Itoa(left)})
	})
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			s.countFailure(ctx, u.ID)
			_ = s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPVerifyFailed, Error: "bad_backup_code"})
			return errBadCode(op)
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	_ = s.d.Counter.ResetCount(ctx, failureKey(u.ID))
	return nil
}

// DisableTOTP removes the user's TOTP method and backup codes after fresh
// proof of identity, emails the user and re-evaluates compliance.
func (s *Service) DisableTOTP(ctx context.Context, u identity.User, p Proof, src audit.Source) error {
	const op = "mfaflow.DisableTOTP"
	if _, err := s.d.MFA.TOTPMethod(ctx, u.ID); err != nil {
		if fault.Is(err, fault.NotFound) {
			return fault.E(op, fault.NotFound, "Two-factor authentication is not enabled")
		}
		return fault.Wrap(op, fault.Internal, err)
	}
	if err := s.checkProof(ctx, op, u, p); err != nil {
		return err
	}
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.MFA.DeleteTOTPMethod(ctx, u.ID); err != nil {
			return err
		}
		if err := s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActTOTPDisabled, Success: true}); err != nil {
			return err
		}
		return s.mail(ctx, u, message.MFADisabled, map[string]string{"method": "Your authenticator app"})
	})
	if err != nil {
		return fault.Wrap(op, fault.Internal, err)
	}
	_, err = s.EvaluateUser(ctx, u.ID, src)
	return err
}

// RegenerateBackupCodes replaces the user's backup codes after fresh proof
// of identity and returns the new ones (shown once).
func (s *Service) RegenerateBackupCodes(ctx context.Context, u identity.User, p Proof, src audit.Source) ([]string, error) {
	const op = "mfaflow.RegenerateBackupCodes"
	t, err := s.d.MFA.TOTPMethod(ctx, u.ID)
	if err != nil || !t.Verified() {
		if err != nil && !fault.Is(err, fault.NotFound) {
			return nil, fault.Wrap(op, fault.Internal, err)
		}
		return nil, fault.E(op, fault.NotFound, "Two-factor authentication is not enabled")
	}
	if err := s.checkProof(ctx, op, u, p); err != nil {
		return nil, err
	}
	codes, hashes := s.newBackupCodes(u.ID)
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.MFA.ReplaceBackupCodes(ctx, u.ID, hashes, s.now()); err != nil {
			return err
		}
		return s.record(ctx, src, audit.Entry{ActorID: u.ID, Action: ActBackupCodesRegen, Success: true})
	})
	if err != nil {
		return nil, fault.Wrap(op, fault.Internal, err)
	}
	return codes, nil
}

// TOTPStatus is what GET /auth/totp/status shows.
type TOTPStatus struct {
	Enabled              bool
	VerifiedAt           *time.Time
	BackupCodesRemaining int
}

// StatusTOTP returns the user's TOTP status.
func (s *Service) StatusTOTP(ctx context.Context, userID string) (TOTPStatus, error) {
	const op = "mfaflow.StatusTOTP"
	t, err := s.d.MFA.TOTPMethod(ctx, userID)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return TOTPStatus{}, nil
		}
		return TOTPStatus{}, fault.Wrap(op, fault.Internal, err)
	}
	if !t.Verified() {
		return TOTPStatus{}, nil
	}
	n, err := s.d.MFA.CountBackupCodes(ctx, userID)
	if err != nil {
		return TOTPStatus{}, fault.Wrap(op, fault.Internal, err)
	}
	return TOTPStatus{Enabled: true, VerifiedAt: t.VerifiedAt, BackupCodesRemaining: n}, nil
}

// Methods reports which second factors the user has set up.
func (s *Service) Methods(ctx context.Context, userID string) (mfa.Methods, error) {
	var m mfa.Methods
	t, err := s.d.MFA.TOTPMethod(ctx, userID)
	switch {
	case err == nil:
		m.TOTP = t.Verified()
	case !fault.Is(err, fault.NotFound):
		return m, err
	}
	pk, err := s.d.MFA.Passkeys(ctx, userID)
	if err != nil {
		return m, err
	}
	m.WebAuthn = len(pk) > 0
	return m, nil
}
