package mfaflow_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/secuird/secuird/adapters/keycrypt"
	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/adapters/memory"
	"github.com/secuird/secuird/adapters/otp"
	"github.com/secuird/secuird/adapters/passhash"
	"github.com/secuird/secuird/adapters/passkey"
	"github.com/secuird/secuird/adapters/passkey/passkeytest"
	"github.com/secuird/secuird/adapters/redis"
	"github.com/secuird/secuird/adapters/sqlstore"
	"github.com/secuird/secuird/adapters/system"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/ports"
	"github.com/secuird/secuird/ports/porttest"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// ephemeral is what the tests need of the ephemeral store (memory or
// Redis).
type ephemeral interface {
	ports.SessionStore
	ports.OneTimeStore
	ports.Counter
}

type env struct {
	svc   *mfaflow.Service
	store *sqlstore.Store
	eph   ephemeral
	mail  *mail.Recorder
	clock *porttest.Clock
	otp   otp.TOTP
	src   audit.Source
}

const password = "violet-harbor-71-quietly"

// The storage combinations of backendEnvs: the embedded default, and
// Postgres + Redis when the test services are set (testenv).
const (
	embedded      = "sqlite+memory"
	postgresRedis = "postgres+redis"
)

// backendNames lists the storage combinations a policy test runs on.
func backendNames() []string { return []string{embedded, postgresRedis} }

func newEnv(t *testing.T) *env { t.Helper(); return newEnvOn(t, embedded) }

// newEnvOn builds the service over SQLite and memory, or over Postgres
// (a fresh schema, dropped at the end) and Redis (a fresh key prefix);
// the latter skips, or fails under SECUIRD_TEST_REQUIRE_SERVICES=1, when
// the services are not configured.
func newEnvOn(t *testing.T, backend string) *env {
	t.Helper()
	ctx := context.Background()
	var (
		st  *sqlstore.Store
		eph ephemeral
		err error
	)
	switch backend {
	case postgresRedis:
		dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
		schema := randomName()
		t.Cleanup(func() { dropSchema(t, dbURL, schema) })
		if st, err = sqlstore.Open(ctx, dbURL, sqlstore.Options{Schema: schema, MaxOpenConns: 4}); err != nil {
			t.Fatal(err)
		}
		rs, err := redis.New(ctx, redisURL, redis.Options{Prefix: randomName() + ":"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rs.Close)
		eph = rs
	default:
		if st, err = sqlstore.Open(ctx, filepath.Join(t.TempDir(), "test.db"), sqlstore.Options{}); err != nil {
			t.Fatal(err)
		}
		ms := memory.New()
		t.Cleanup(ms.Close)
		eph = ms
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sealer, err := keycrypt.NewSealer("an-encryption-key-for-tests-only", "totp-secret")
	if err != nil {
		t.Fatal(err)
	}
	rp, err := passkey.New(passkey.Config{RPID: "localhost", DisplayName: "Secuird", Origins: []string{"http://localhost:8080"}})
	if err != nil {
		t.Fatal(err)
	}
	rec := mail.NewRecorder()
	// A step boundary plus 10 s, so that "one step either side" is exact.
	clk := porttest.NewClock(time.Date(2026, 2, 3, 4, 5, 10, 0, time.UTC))
	svc := mfaflow.New(mfaflow.Config{PublicURL: "https://id.example.com", CodeKey: []byte("k")}, mfaflow.Deps{
		Tx: st, Users: st, Passwords: st, Hasher: passhash.New(4, 4), MFA: st, Policies: st, Orgs: st, Members: st,
		Sessions: eph, Lease: st, Audit: st, Mailer: rec, Sealer: sealer, OTP: otp.TOTP{}, WebAuthn: rp,
		OneTime: eph, Counter: eph, Clock: clk, Random: system.Random{},
	})
	return &env{svc: svc, store: st, eph: eph, mail: rec, clock: clk, src: audit.Source{IP: "192.0.2.1"}}
}

func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t_" + hex.EncodeToString(b[:])
}

// dropSchema removes a test's Postgres schema.
func dropSchema(t *testing.T, dbURL, schema string) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func (e *env) user(t *testing.T, email string) identity.User {
	t.Helper()
	now := e.clock.Now()
	u := identity.User{ID: "u-" + email, Email: email, FullName: "Ada", Status: identity.StatusActive, Activated: true, CreatedAt: now, UpdatedAt: now}
	if err := e.store.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	h, _ := passhash.New(4, 1).Hash(password)
	if err := e.store.SetPasswordHash(t.Context(), u.ID, h, now); err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) org(t *testing.T, id string, members map[string]org.Role) {
	t.Helper()
	now := e.clock.Now()
	if err := e.store.CreateOrg(t.Context(), org.Organization{ID: id, Name: "Org " + id, Slug: id, IsActive: true, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for uid, r := range members {
		if _, err := e.store.AddMember(t.Context(), org.Membership{ID: id + uid, OrgID: id, UserID: uid, Role: r, JoinedAt: now, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
}

// code returns the TOTP code of secret shifted by steps from the clock.
func (e *env) code(t *testing.T, secret string, steps int) string {
	t.Helper()
	c, err := e.otp.Code(secret, e.clock.Now().Add(time.Duration(steps)*mfa.TOTPPeriod))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll enables TOTP and returns the secret and backup codes.
func (e *env) enroll(t *testing.T, u identity.User) mfaflow.Enrollment {
	t.Helper()
	en, err := e.svc.EnrollTOTP(t.Context(), u, e.src)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.VerifyEnrollment(t.Context(), u, e.code(t, en.Secret, 0), e.src); err != nil {
		t.Fatal(err)
	}
	return en
}

func TestTOTPWindowAndReplay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps int
		ok    bool
	}{
		{"accepts the previous step", -1, true},
		{"accepts the next step", 1, true},
		{"refuses two steps back", -2, false},
		{"refuses two steps ahead", 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			u := e.user(t, "ada@example.com")
			en := e.enroll(t, u)
			e.clock.Advance(5 * mfa.TOTPPeriod)
			err := e.svc.VerifyCode(t.Context(), u, e.code(t, en.Secret, tt.steps), e.src)
			if (err == nil) != tt.ok {
				t.Fatalf("VerifyCode: %v, want ok=%v", err, tt.ok)
			}
		})
	}
	t.Run("each code works once, also concurrently", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		u := e.user(t, "ada@example.com")
		en := e.enroll(t, u)
		e.clock.Advance(3 * mfa.TOTPPeriod)
		c := e.code(t, en.Secret, 0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 5 {
			wg.Go(func() {
				if e.svc.VerifyCode(context.Background(), u, c, e.src) == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d acceptances of one code, want 1", wins)
		}
		// An earlier step's code is refused after a later one was used.
		if err := e.svc.VerifyCode(t.Context(), u, e.code(t, en.Secret, -1), e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("earlier code after a later one: %v", err)
		}
	})
	t.Run("the enrolment code cannot be replayed at login", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		u := e.user(t, "ada@example.com")
		en, _ := e.svc.EnrollTOTP(t.Context(), u, e.src)
		c := e.code(t, en.Secret, 0)
		if err := e.svc.VerifyEnrollment(t.Context(), u, c, e.src); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyCode(t.Context(), u, c, e.src); !fault.Is(err, fault.Unauthenticated) {
			t.Fatalf("replayed enrolment code: %v", err)
		}
	})
	t.Run("wrong codes are limited per account", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		u := e.user(t, "ada@example.com")
		en := e.enroll(t, u)
		for range 10 {
			_ = e.svc.VerifyCode(t.Context(), u, "000000", e.src)
		}
		e.clock.Advance(mfa.TOTPPeriod)
		if err := e.svc.VerifyCode(t.Context(), u, e.code(t, en.Secret, 0), e.src); !fault.Is(err, fault.RateLimited) {
			t.Fatalf("after 10 failures: %v", err)
		}
	})
}

func TestEnrolmentLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	u := e.user(t, "ada@example.com")
	en, err := e.svc.EnrollTOTP(ctx, u, e.src)
	if err != nil || len(en.BackupCodes) != 10 || en.QRCode == "" {
		t.Fatalf("EnrollTOTP = %+v, %v", en, err)
	}
	// The secret is sealed at rest.
	m, _ := e.store.TOTPMethod(ctx, u.ID)
	if string(m.SealedSecret) == en.Secret || len(m.SealedSecret) < len(en.Secret) {
		t.Fatal("secret stored in the clear")
	}
	if err := e.svc.VerifyEnrollment(ctx, u, "123", e.src); !fault.Is(err, fault.Invalid) {
		t.Fatalf("short code: %v", err)
	}
	if err := e.svc.VerifyEnrollment(ctx, u, e.code(t, en.Secret, 0), e.src); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EnrollTOTP(ctx, u, e.src); !fault.Is(err, fault.Conflict) {
		t.Fatalf("second enrolment: %v", err)
	}
	if _, ok := e.mail.Last(u.Email); !ok {
		t.Fatal("no mfa_enabled email")
	}
	// Backup codes: single use, emailed.
	if err := e.svc.VerifyBackupCode(ctx, u, en.BackupCodes[0], e.src); err != nil {
		t.Fatal(err)
	}
	if last, _ := e.mail.Last(u.Email); last.Template != message.BackupCodeUsed || last.Vars["remaining"] != "9" {
		t.Fatalf("last email %+v", last)
	}
	if err := e.svc.VerifyBackupCode(ctx, u, en.BackupCodes[0], e.src); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("reused backup code: %v", err)
	}
	st, _ := e.svc.StatusTOTP(ctx, u.ID)
	if !st.Enabled || st.BackupCodesRemaining != 9 {
		t.Fatalf("status %+v", st)
	}
	// Regenerating and disabling need fresh proof.
	if _, err := e.svc.RegenerateBackupCodes(ctx, u, mfaflow.Proof{}, e.src); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("regenerate without proof: %v", err)
	}
	if _, err := e.svc.RegenerateBackupCodes(ctx, u, mfaflow.Proof{Password: "wrong-password"}, e.src); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("regenerate with a wrong password: %v", err)
	}
	codes, err := e.svc.RegenerateBackupCodes(ctx, u, mfaflow.Proof{Password: password}, e.src)
	if err != nil || len(codes) != 10 {
		t.Fatalf("regenerate: %v", err)
	}
	if err := e.svc.VerifyBackupCode(ctx, u, en.BackupCodes[1], e.src); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("old backup code after regeneration: %v", err)
	}
	e.clock.Advance(2 * mfa.TOTPPeriod)
	if err := e.svc.DisableTOTP(ctx, u, mfaflow.Proof{Code: e.code(t, en.Secret, 0)}, e.src); err != nil {
		t.Fatalf("disable with a current code: %v", err)
	}
	if st, _ := e.svc.StatusTOTP(ctx, u.ID); st.Enabled {
		t.Fatal("still enabled")
	}
}

func TestPolicyModesAndTheComplianceJob(t *testing.T) {
	t.Parallel()
	for _, backend := range backendNames() {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testPolicyModesAndTheComplianceJob(t, newEnvOn(t, backend))
		})
	}
}

func testPolicyModesAndTheComplianceJob(t *testing.T, e *env) {
	ctx := t.Context()
	owner, bob, carol := e.user(t, "owner@example.com"), e.user(t, "bob@example.com"), e.user(t, "carol@example.com")
	e.org(t, "acme", map[string]org.Role{owner.ID: org.Owner, bob.ID: org.Member, carol.ID: org.Member})
	e.org(t, "other", map[string]org.Role{carol.ID: org.Owner})

	if _, err := e.svc.PutPolicy(ctx, bob, "acme", mfaflow.PolicyInput{Mode: new("require_totp")}, e.src); !fault.Is(err, fault.Forbidden) {
		t.Fatalf("member changed the policy: %v", err)
	}
	if _, err := e.svc.PutPolicy(ctx, owner, "other", mfaflow.PolicyInput{Mode: new("require_totp")}, e.src); !fault.Is(err, fault.NotFound) {
		t.Fatalf("non-member changed the policy: %v", err)
	}
	p, err := e.svc.PutPolicy(ctx, owner, "acme", mfaflow.PolicyInput{Mode: new("require_totp_or_webauthn"), GraceDays: new(3), NotifyDays: new(1)}, e.src)
	if err != nil || p.Version != 1 {
		t.Fatalf("PutPolicy = %+v, %v", p, err)
	}
	// Carol is exempt in acme; Bob is in grace.
	if _, err := e.svc.PutOverride(ctx, owner, "acme", carol.ID, mfaflow.OverrideInput{Mode: new("exempt")}, e.src); err != nil {
		t.Fatal(err)
	}
	agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src)
	if agg.Overall != mfa.StatusInGrace || agg.Restricted() {
		t.Fatalf("bob: %+v", agg)
	}
	if agg, _ := e.svc.EvaluateUser(ctx, carol.ID, e.src); agg.Overall != mfa.StatusNotApplicable {
		t.Fatalf("carol: %s", agg.Overall)
	}
	// Inside the notify window the job reminds once a day.
	e.clock.Advance(2*24*time.Hour + time.Hour)
	rep, err := e.svc.RunComplianceJob(ctx, "node-1")
	if err != nil || !rep.Ran || rep.Reminded != 2 { // the owner and bob
		t.Fatalf("job: %+v, %v", rep, err)
	}
	if m, _ := e.mail.Last(bob.Email); m.Template != message.MFAReminder || m.Vars["org_name"] != "Org acme" {
		t.Fatalf("reminder %+v", m)
	}
	if rep, _ := e.svc.RunComplianceJob(ctx, "node-1"); rep.Reminded != 0 {
		t.Fatalf("second reminder the same day: %+v", rep)
	}
	// A session to be revoked at suspension.
	if err := e.eph.CreateSession(ctx, identity.Session{ID: "s1", TokenHash: "h1", UserID: bob.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(48 * time.Hour), LastSeenAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Past the deadline: restricted at once, suspended by the job.
	e.clock.Advance(24 * time.Hour)
	if agg, _ := e.svc.EvaluateUser(ctx, bob.ID, e.src); agg.Overall != mfa.StatusPastDue || !agg.Restricted() {
		t.Fatalf("past the deadline: %s", agg.Overall)
	}
	rep, err = e.svc.RunComplianceJob(ctx, "node-1")
	if err != nil || rep.Suspended != 2 {
		t.Fatalf("job: %+v, %v", rep, err)
	}
	u, _ := e.store.UserByID(ctx, bob.ID)
	if u.Status != identity.StatusComplianceSuspended {
		t.Fatalf("bob status %s", u.Status)
	}
	if ss, _ := e.eph.SessionsByUser(ctx, bob.ID); len(ss) != 0 {
		t.Fatal("suspension left sessions alive")
	}
	if m, _ := e.mail.Last(bob.Email); m.Template != message.MFASuspended {
		t.Fatalf("suspension email %+v", m)
	}
	// Either factor restores: a TOTP enrolment makes bob compliant and active.
	e.enroll(t, u)
	u, _ = e.store.UserByID(ctx, bob.ID)
	agg, _ = e.svc.EvaluateUser(ctx, bob.ID, e.src)
	if u.Status != identity.StatusActive || agg.Overall != mfa.StatusCompliant {
		t.Fatalf("after enrolment: %s, %s", u.Status, agg.Overall)
	}
	// Another node does not run while the lease is held.
	if ok, _ := e.store.AcquireLease(ctx, mfaflow.JobName, "node-2", e.clock.Now(), e.clock.Now().Add(time.Hour)); !ok {
		t.Fatal("lease not free after the run")
	}
	if rep, _ := e.svc.RunComplianceJob(ctx, "node-1"); rep.Ran {
		t.Fatal("ran while another node held the lease")
	}
	// The compliance listing is for admins.
	if _, _, err := e.svc.ListCompliance(ctx, bob, "acme", "", 0, 20); !fault.Is(err, fault.Forbidden) {
		t.Fatalf("member listed compliance: %v", err)
	}
	rows, n, err := e.svc.ListCompliance(ctx, owner, "acme", "", 0, 20)
	if err != nil || n != 3 || len(rows) != 3 {
		t.Fatalf("ListCompliance = %d rows, %d, %v", len(rows), n, err)
	}
}

func TestPasskeysAndAdminReset(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	admin, bob := e.user(t, "admin@example.com"), e.user(t, "bob@example.com")
	e.org(t, "acme", map[string]org.Role{admin.ID: org.Admin, bob.ID: org.Member})
	vrp := virtualwebauthn.RelyingParty{ID: "localhost", Name: "Secuird", Origin: "http://localhost:8080"}
	auth := virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(bob.ID)})

	ch, err := e.svc.BeginRegistration(ctx, bob, e.src)
	if err != nil {
		t.Fatal(err)
	}
	ao, _ := virtualwebauthn.ParseAttestationOptions(string(ch.Options))
	cred := passkeytest.NewEC2Credential(t)
	resp := virtualwebauthn.CreateAttestationResponse(vrp, auth, cred, *ao)
	pk, err := e.svc.FinishRegistration(ctx, bob, ch.SessionToken, []byte(resp), "", e.src)
	if err != nil || pk.Name != "Passkey" {
		t.Fatalf("FinishRegistration = %+v, %v", pk, err)
	}
	auth.AddCredential(cred)
	// The registration challenge is single use.
	if _, err := e.svc.FinishRegistration(ctx, bob, ch.SessionToken, []byte(resp), "", e.src); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("replayed registration: %v", err)
	}

	login := func(counter uint32, replay string) (mfaflow.PasskeyLogin, string, error) {
		lc, err := e.svc.BeginPasskeyLogin(ctx, nil, false, false)
		if err != nil {
			t.Fatal(err)
		}
		if replay != "" {
			lc.SessionToken = replay
		}
		lo, _ := virtualwebauthn.ParseAssertionOptions(string(lc.Options))
		c := cred
		c.Counter = counter
		r := virtualwebauthn.CreateAssertionResponse(vrp, auth, c, *lo)
		pl, err := e.svc.FinishPasskeyLogin(ctx, lc.SessionToken, []byte(r), "", e.src)
		return pl, lc.SessionToken, err
	}
	pl, used, err := login(5, "")
	if err != nil || pl.User.ID != bob.ID || !pl.UserVerified || pl.Factor != mfa.FactorHWK {
		t.Fatalf("passwordless login = %+v, %v", pl, err)
	}
	if _, _, err := login(6, used); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("replayed login challenge: %v", err)
	}
	if _, _, err := login(4, ""); !fault.Is(err, fault.Unauthenticated) {
		t.Fatalf("counter regression accepted: %v", err)
	}
	entries, _, _ := e.store.ListAudit(ctx, audit.Filter{ActorID: bob.ID, Action: mfaflow.ActWebAuthnLoginFailed})
	if len(entries) == 0 || entries[0].Error != "sign_count_regression" {
		t.Fatalf("regression not audited: %+v", entries)
	}
	// The last passkey can go: bob has a password.
	if _, err := e.svc.RenamePasskey(ctx, bob, pk.ID, "Laptop", e.src); err != nil {
		t.Fatal(err)
	}
	// Admin reset: audited, sessions ended.
	if err := e.eph.CreateSession(ctx, identity.Session{ID: "s1", TokenHash: "h1", UserID: bob.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), LastSeenAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminResetMFA(ctx, bob, admin.ID, "all", "", e.src); !fault.Is(err, fault.NotFound) && !fault.Is(err, fault.Forbidden) {
		t.Fatalf("member reset an admin: %v", err)
	}
	if err := e.svc.AdminResetMFA(ctx, admin, bob.ID, "webauthn", "", e.src); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.svc.StatusPasskeys(ctx, bob.ID); st.Enabled {
		t.Fatal("passkeys left after reset")
	}
	if ss, _ := e.eph.SessionsByUser(ctx, bob.ID); len(ss) != 0 {
		t.Fatal("reset left sessions alive")
	}
	if err := e.svc.AdminResetMFA(ctx, admin, bob.ID, "totp", "", e.src); !fault.Is(err, fault.NotFound) {
		t.Fatalf("reset of a missing method: %v", err)
	}
}
