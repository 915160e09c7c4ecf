package account_test

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/secuird/secuird/adapters/keycrypt"
	"github.com/secuird/secuird/adapters/otp"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/passkey"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/mfaflow"
)

// withMFA plugs real MFA use cases (same store, clock) into e's login and
// returns them.
func withMFA(t *testing.T, e *env) *mfaflow.Service {
	t.Helper()
	return withMFAConfig(t, e, mfaflow.Config{PublicURL: "https://id.example.com", CodeKey: []byte("k")})
}

// withMFAConfig is withMFA with the MFA settings cfg.
func withMFAConfig(t *testing.T, e *env, cfg mfaflow.Config) *mfaflow.Service {
	t.Helper()
	sealer, err := keycrypt.NewSealer("an-encryption-key-for-tests-only", "totp-secret")
	if err != nil {
		t.Fatal(err)
	}
	rp, err := passkey.New(passkey.Config{RPID: "localhost", DisplayName: "Secuird", Origins: []string{"http://localhost:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	m := mfaflow.New(cfg, mfaflow.Deps{
		Tx: e.store, Users: e.store, Passwords: e.store, Hasher: passhash.New(4, 4), MFA: e.store, Policies: e.store, Orgs: e.store,
		Members: e.store, Sessions: e.eph, Lease: e.store, Audit: e.store, Mailer: e.mail, Sealer: sealer, OTP: otp.TOTP{},
		WebAuthn: rp, OneTime: e.eph, Counter: e.eph, Clock: e.clock, Random: system.Random{},
	})
	e.svc.UseSecondFactors(m, e.eph)
	return m
}

// totpUser registers a user with TOTP on and returns it, its secret and
// its backup codes.
func totpUser(t *testing.T, e *env, m *mfaflow.Service, email string) (identity.User, string, []string) {
	t.Helper()
	reg, err := e.svc.Register(t.Context(), account.RegisterInput{Email: email, Password: goodPassword, PasswordConfirm: goodPassword}, e.src)
	if err != nil {
		t.Fatal(err)
	}
	en, err := m.EnrollTOTP(t.Context(), reg.User, e.src)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(en.Secret, e.clock.Now())
	if err := m.VerifyEnrollment(t.Context(), reg.User, code, e.src); err != nil {
		t.Fatal(err)
	}
	return reg.User, en.Secret, en.BackupCodes
}

func TestLoginStateMachine(t *testing.T) {
	t.Parallel()
	t.Run("a password alone gives a pending login bound to remember_me, then a session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := withMFA(t, e)
		u, _, backups := totpUser(t, e, m, "ada@example.com")
		res, err := e.svc.Login(t.Context(), account.LoginInput{Email: u.Email, Password: goodPassword, RememberMe: true}, e.src)
		if err != nil || res.Pending == nil || res.Token != "" || !res.Pending.RequiresTOTP || res.Pending.RequiresWebAuthn {
			t.Fatalf("password step = %+v, %v", res, err)
		}
		if _, err := e.svc.Authenticate(t.Context(), res.Pending.Token); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("pending token authenticates: %v", err)
		}
		done, err := e.svc.CompleteTOTP(t.Context(), account.TOTPStepInput{PendingToken: res.Pending.Token, Code: backups[0], IsBackupCode: true}, e.src)
		if err != nil || done.Token == "" || !done.Session.RememberMe || done.Session.ComplianceOnly {
			t.Fatalf("second step = %+v, %v", done.Session, err)
		}
		if got := done.Session.AMR; len(got) != 3 || got[0] != "pwd" || got[1] != "otp" || got[2] != "mfa" {
			t.Fatalf("amr = %v", got)
		}
	})
	t.Run("a pending login expires after five minutes", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := withMFA(t, e)
		u, _, backups := totpUser(t, e, m, "bea@example.com")
		res, err := e.svc.Login(t.Context(), account.LoginInput{Email: u.Email, Password: goodPassword}, e.src)
		if err != nil || res.Pending == nil {
			t.Fatal(err)
		}
		e.clock.Advance(account.PendingTTL + time.Second)
		_, err = e.svc.CompleteTOTP(t.Context(), account.TOTPStepInput{PendingToken: res.Pending.Token, Code: backups[0], IsBackupCode: true}, e.src)
		if fe := fault.As(err); fe == nil || fe.Code != "INVALID_TOKEN" {
			t.Fatalf("expired pending login: %v", err)
		}
	})
	t.Run("a wrong code keeps the pending login for another try", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := withMFA(t, e)
		u, secret, _ := totpUser(t, e, m, "cy@example.com")
		res, _ := e.svc.Login(t.Context(), account.LoginInput{Email: u.Email, Password: goodPassword}, e.src)
		if _, err := e.svc.CompleteTOTP(t.Context(), account.TOTPStepInput{PendingToken: res.Pending.Token, Code: "000000"}, e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("wrong code: %v", err)
		}
		e.clock.Advance(30 * time.Second) // the enrolment used this step's code
		code, _ := totp.GenerateCode(secret, e.clock.Now())
		if _, err := e.svc.CompleteTOTP(t.Context(), account.TOTPStepInput{PendingToken: res.Pending.Token, Code: code}, e.src); err != nil {
			t.Fatalf("right code after a wrong one: %v", err)
		}
	})
	t.Run("a compliance-suspended account gets a compliance-only session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		reg, err := e.svc.Register(t.Context(), account.RegisterInput{Email: "dee@example.com", Password: goodPassword, PasswordConfirm: goodPassword}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.UpdateUser(t.Context(), reg.User.ID, func(u identity.User) (identity.User, error) {
			u.Status = identity.StatusComplianceSuspended
			return u, nil
		}); err != nil {
			t.Fatal(err)
		}
		// Without MFA wiring the account status alone decides.
		res, err := e.svc.Login(t.Context(), account.LoginInput{Email: "dee@example.com", Password: goodPassword}, e.src)
		if err != nil || !res.Session.ComplianceOnly || !res.RequiresMFAEnrollment {
			t.Fatalf("login = %+v, %v", res.Session, err)
		}
		p, err := e.svc.Authenticate(t.Context(), res.Token)
		if err != nil || p.FullAccess() {
			t.Fatalf("principal full access = %v, %v", p.FullAccess(), err)
		}
		if fe := fault.As(e.svc.RequireFullAccess(t.Context(), p)); fe == nil || fe.Code != "MFA_COMPLIANCE_REQUIRED" || fe.Details["overall_status"] != "suspended" {
			t.Fatalf("RequireFullAccess = %v", fe)
		}
	})
	t.Run("step-up needs a recent proof and re-authentication renews it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		reg, err := e.svc.Register(t.Context(), account.RegisterInput{Email: "eve@example.com", Password: goodPassword, PasswordConfirm: goodPassword}, e.src)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := e.svc.Authenticate(t.Context(), reg.Token)
		if err := e.svc.RequireRecentAuth(p); err != nil {
			t.Fatalf("fresh session: %v", err)
		}
		e.clock.Advance(11 * time.Minute)
		p, _ = e.svc.Authenticate(t.Context(), reg.Token)
		if fe := fault.As(e.svc.RequireRecentAuth(p)); fe == nil || fe.Code != "REAUTHENTICATION_REQUIRED" {
			t.Fatalf("old session: %v", fe)
		}
		if _, err := e.svc.Reauthenticate(t.Context(), p, account.ReauthInput{Password: goodPassword}, e.src); err != nil {
			t.Fatal(err)
		}
		p, err = e.svc.Authenticate(t.Context(), reg.Token)
		if err != nil || e.svc.RequireRecentAuth(p) != nil {
			t.Fatalf("after re-authentication: %v", err)
		}
	})
}
