package app_test

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/message"
)

// pendingData is the answer of a first factor that needs a second one.
type pendingData struct {
	Token            string `json:"token"`
	PendingToken     string `json:"pending_token"`
	RequiresTOTP     bool   `json:"requires_totp"`
	RequiresWebAuthn bool   `json:"requires_webauthn"`
	RequiresMFA      bool   `json:"requires_mfa"`
	ComplianceOnly   bool   `json:"compliance_only"`
	RequiresEnroll   bool   `json:"requires_mfa_enrollment"`
}

func (s *server) loginStep(t *testing.T, email string) pendingData {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": pw})
	expect(t, r, 200, "")
	var d pendingData
	r.data(t, &d)
	return d
}

// enableTOTP turns TOTP on for the session's user and returns the secret
// and the backup codes.
func (s *server) enableTOTP(t *testing.T, token string) (string, []string) {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/auth/totp/enroll", token, nil)
	expect(t, r, 200, "")
	var en struct {
		Secret      string   `json:"secret"`
		BackupCodes []string `json:"backup_codes"`
	}
	r.data(t, &en)
	code, _ := totp.GenerateCode(en.Secret, time.Now())
	expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify-enrollment", token, map[string]any{"code": code}), 200, "")
	return en.Secret, en.BackupCodes
}

// TestLoginSecondFactor checks that a password alone gives a user with
// TOTP a pending login that grants nothing, and that the TOTP step (code
// or backup code) turns it into a session once.
func TestLoginSecondFactor(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startServer(t, configure)
		alice := s.register(t, "alice-2fa@example.com")
		_, backups := s.enableTOTP(t, alice.Token)

		p := s.loginStep(t, alice.User.Email)
		if p.Token != "" || !p.RequiresTOTP || p.RequiresWebAuthn || !p.RequiresMFA || p.PendingToken == "" {
			t.Fatalf("password step: %+v", p)
		}
		if got, err := s.app.Store().UserByEmail(t.Context(), alice.User.Email); err != nil || got.LastLoginAt != nil {
			t.Fatalf("last_login_at set before the second factor: %v %v", got.LastLoginAt, err)
		}
		// The pending login is not a session anywhere.
		for _, path := range []string{"/api/v1/auth/me", "/api/v1/users/me", "/api/v1/auth/sessions", "/api/v1/users/me/mfa-compliance", "/api/v1/organizations"} {
			expect(t, s.call(t, "GET", path, p.PendingToken, nil), 401, "INVALID_TOKEN")
		}
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": p.PendingToken, "code": "000000"}), 401, "AUTHENTICATION_ERROR")
		r := s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"code": backups[0], "is_backup_code": true}, "X-Pending-Token", p.PendingToken)
		expect(t, r, 200, "")
		var done pendingData
		r.data(t, &done)
		if done.Token == "" || done.ComplianceOnly {
			t.Fatalf("second step: %s", r.raw)
		}
		expect(t, s.call(t, "GET", "/api/v1/auth/me", done.Token, nil), 200, "")
		if got, err := s.app.Store().UserByEmail(t.Context(), alice.User.Email); err != nil || got.LastLoginAt == nil {
			t.Fatalf("last_login_at not set with the session: %v", err)
		}
		// Single use.
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": p.PendingToken, "code": backups[1], "is_backup_code": true}), 401, "INVALID_TOKEN")

		// Invite acceptance never signs into an existing account, and
		// a pending login is not a session there either.
		owner := s.register(t, "inviter-2fa@example.com")
		org := s.createOrg(t, owner.Token, "Inviting", "inviting-2fa")
		expect(t, s.call(t, "POST", "/api/v1/organizations/"+org+"/invites", owner.Token, map[string]any{"email": alice.User.Email, "role": "member"}), 201, "")
		inv := s.linkToken(t, alice.User.Email, message.OrgInvite)
		p = s.loginStep(t, alice.User.Email)
		expect(t, s.call(t, "POST", "/api/v1/invites/"+inv+"/accept", "", map[string]any{"password": pw, "password_confirm": pw}), 401, "AUTH_REQUIRED")
		expect(t, s.call(t, "POST", "/api/v1/invites/"+inv+"/accept", p.PendingToken, nil), 401, "INVALID_TOKEN")
		// The OIDC userinfo endpoint does not take it either.
		req, _ := http.NewRequest(http.MethodGet, s.url+"/oidc/userinfo", nil)
		req.Header.Set("Authorization", "Bearer "+p.PendingToken)
		ui, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = ui.Body.Close()
		if ui.StatusCode != http.StatusUnauthorized && ui.StatusCode != http.StatusForbidden {
			t.Fatalf("userinfo with a pending token: %d", ui.StatusCode)
		}

		// Bounded attempts: after five failures the pending login is gone.
		p = s.loginStep(t, alice.User.Email)
		for range 5 {
			expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": p.PendingToken, "code": "ZZZZZZZZZZZZZZZZ", "is_backup_code": true}), 401, "AUTHENTICATION_ERROR")
		}
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": p.PendingToken, "code": backups[1], "is_backup_code": true}), 401, "INVALID_TOKEN")
	})
}

// TestComplianceOnlySession checks that a user past an organization's MFA
// deadline gets a compliance-only session at login, that every
// authenticated route outside the SEED-SPEC 3.5 allow-list refuses it
// (walking every registered route, so a new route is covered), and that
// enrolling and signing in again gives a full session.
func TestComplianceOnlySession(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	owner := s.register(t, "owner-co@example.com")
	orgID := s.createOrg(t, owner.Token, "Strict", "strict-co")
	s.setMFAPolicy(t, owner.Token, orgID, "require_totp", 0)

	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": owner.User.Email, "password": pw})
	expect(t, r, 200, "")
	var co pendingData
	r.data(t, &co)
	if co.Token == "" || !co.ComplianceOnly || !co.RequiresEnroll || !strings.Contains(string(r.env.Data), `"mfa_compliance"`) {
		t.Fatalf("past-due login: %s", r.raw)
	}
	// Invite acceptance takes an optional session: a compliance-only one
	// is refused too.
	expect(t, s.call(t, "POST", "/api/v1/invites/not-a-real-invite-token/accept", co.Token, nil), 403, "MFA_COMPLIANCE_REQUIRED")
	allowed := map[string]bool{
		"POST /api/v1/auth/logout": true, "GET /api/v1/auth/me": true, "GET /api/v1/auth/sessions": true,
		"DELETE /api/v1/auth/sessions/:id": true, "POST /api/v1/auth/totp/enroll": true,
		"POST /api/v1/auth/totp/verify-enrollment": true, "GET /api/v1/auth/totp/status": true,
		"POST /api/v1/auth/webauthn/register/begin": true, "POST /api/v1/auth/webauthn/register/complete": true,
		"GET /api/v1/auth/webauthn/credentials": true, "GET /api/v1/auth/webauthn/status": true,
		"GET /api/v1/users/me": true, "GET /api/v1/users/me/mfa-compliance": true,
	}
	param := regexp.MustCompile(`:[a-z_]+\??`)
	seen := map[string]bool{}
	var routes []string
	for _, rt := range s.app.HTTP().GetRoutes(true) {
		if rt.Method == http.MethodHead || rt.Method == "USE" || !strings.HasPrefix(rt.Path, "/api/v1/") || seen[rt.Method+" "+rt.Path] {
			continue
		}
		seen[rt.Method+" "+rt.Path] = true
		routes = append(routes, rt.Method+" "+rt.Path)
	}
	// Logout last: it ends the session under test.
	sort.Slice(routes, func(i, j int) bool { return routes[j] == "POST /api/v1/auth/logout" })
	checked := 0
	for _, key := range routes {
		method, path, _ := strings.Cut(key, " ")
		url := param.ReplaceAllString(path, "00000000-0000-4000-8000-000000000000")
		anon := s.call(t, method, url, "", map[string]any{})
		if anon.status != 401 || anon.env.Error == nil || anon.env.Error.Type != "AUTH_REQUIRED" {
			continue // public (or not a session route)
		}
		checked++
		got := s.call(t, method, url, co.Token, map[string]any{})
		refused := got.status == 403 && got.env.Error != nil && got.env.Error.Type == "MFA_COMPLIANCE_REQUIRED"
		switch {
		case allowed[key] && refused:
			t.Errorf("%s: allow-listed route refused a compliance-only session", key)
		case !allowed[key] && !refused:
			t.Errorf("%s: compliance-only session got %d %s", key, got.status, got.raw)
		case refused && got.env.Error.Details["overall_status"] != "past_due":
			t.Errorf("%s: details %v", key, got.env.Error.Details)
		}
	}
	if checked < 40 {
		t.Fatalf("only %d authenticated routes found", checked)
	}

	// Enrolling from a new compliance-only session, then signing in again,
	// gives a full session (the restricted one is not upgraded in place).
	r = s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": owner.User.Email, "password": pw})
	r.data(t, &co)
	s.enableTOTP(t, co.Token)
	expect(t, s.call(t, "GET", "/api/v1/organizations", co.Token, nil), 403, "MFA_COMPLIANCE_REQUIRED")
	p := s.loginStep(t, owner.User.Email)
	if !p.RequiresTOTP || p.Token != "" {
		t.Fatalf("after enrolment: %+v", p)
	}
}

// TestStepUp checks that sensitive changes need a recent proof and that
// re-authenticating supplies it.
func TestStepUp(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = time.Nanosecond })
	u := s.register(t, "stepup@example.com")
	expect(t, s.call(t, "DELETE", "/api/v1/users/me", u.Token, nil), 403, "REAUTHENTICATION_REQUIRED")
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate", u.Token, map[string]any{"password": "not-the-password"}), 401, "AUTHENTICATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate", u.Token, map[string]any{"password": pw}), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", u.Token, nil), 200, "")
}

// TestMFAComplianceJobCommand runs the operator command once on a fresh
// installation.
func TestMFAComplianceJobCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := func(k string) string {
		switch k {
		case "SECUIRD_ENV":
			return "test"
		case "SECUIRD_DATA_DIR":
			return dir
		}
		return ""
	}
	var out, errb strings.Builder
	if code := app.Main([]string{"mfa", "run-compliance-job"}, env, &out, &errb); code != 0 || !strings.Contains(out.String(), "evaluated 0") {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
}

// TestLoginPolicyModes checks, end to end at login and on every storage
// backend, which session each organization MFA mode and override gives a
// user with the methods they have (grace 0: past due at once when a
// requirement is missing).
func TestLoginPolicyModes(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		testLoginPolicyModes(t, startServer(t, configure))
	})
}

func testLoginPolicyModes(t *testing.T, s *server) {
	tests := []struct {
		name           string
		mode           string
		override       map[string]any
		totp, passkey  bool
		complianceOnly bool
	}{
		{name: "disabled gives a full session without MFA", mode: "disabled"},
		{name: "optional gives a full session without MFA", mode: "optional"},
		{name: "require_totp without TOTP gives a compliance-only session", mode: "require_totp", complianceOnly: true},
		{name: "require_totp with TOTP gives a full session after the code", mode: "require_totp", totp: true},
		{name: "require_webauthn with TOTP only stays compliance-only", mode: "require_webauthn", totp: true, complianceOnly: true},
		{name: "require_webauthn with a passkey gives a full session", mode: "require_webauthn", passkey: true},
		{name: "require_totp_or_webauthn is met by TOTP alone", mode: "require_totp_or_webauthn", totp: true},
		{name: "require_totp_or_webauthn is met by a passkey alone", mode: "require_totp_or_webauthn", passkey: true},
		{name: "require_totp_or_webauthn without either is compliance-only", mode: "require_totp_or_webauthn", complianceOnly: true},
		{name: "require_totp_or_webauthn with both gives a full session after one", mode: "require_totp_or_webauthn", totp: true, passkey: true},
		{name: "an inherit override keeps the organization's requirement", mode: "require_totp", override: map[string]any{"mfa_override_mode": "inherit"}, complianceOnly: true},
		{name: "an inherit override is met as the organization's mode is", mode: "require_totp", override: map[string]any{"mfa_override_mode": "inherit"}, totp: true},
		{name: "an exempt override lifts the requirement", mode: "require_totp", override: map[string]any{"mfa_override_mode": "exempt"}},
		{name: "a required override needs either factor", mode: "optional", override: map[string]any{"mfa_override_mode": "required"}, complianceOnly: true},
		{name: "a required override is met by a passkey", mode: "optional", override: map[string]any{"mfa_override_mode": "required"}, passkey: true},
		{name: "force_webauthn adds a passkey to a TOTP policy", mode: "require_totp", override: map[string]any{"force_webauthn": true}, totp: true, complianceOnly: true},
		{name: "force_totp is met with TOTP", mode: "optional", override: map[string]any{"force_totp": true}, totp: true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := s.register(t, "mode"+string(rune('a'+i))+"@example.com")
			var backups []string
			var pc *passkeyClient
			if tt.totp {
				_, backups = s.enableTOTP(t, u.Token)
			}
			if tt.passkey {
				pc = s.addPasskey(t, u.Token, u.User.ID)
			}
			org := s.createOrg(t, u.Token, "Mode "+tt.mode, "mode-"+string(rune('a'+i)))
			s.setMFAPolicy(t, u.Token, org, tt.mode, 0)
			if tt.override != nil {
				expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+org+"/users/"+u.User.ID+"/security-policy", u.Token, tt.override), 200, "")
			}
			d := s.loginStep(t, u.User.Email)
			var r response
			switch {
			case tt.passkey:
				h, cred := pc.assert(t, s, map[string]any{"pending_token": d.PendingToken})
				r = s.call(t, "POST", "/api/v1/auth/webauthn/login/complete", "", map[string]any{"session_token": h, "credential": cred, "pending_token": d.PendingToken})
			case tt.totp:
				r = s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": d.PendingToken, "code": backups[0], "is_backup_code": true})
			}
			if tt.passkey || tt.totp {
				expect(t, r, 200, "")
				r.data(t, &d)
			}
			if d.Token == "" || d.ComplianceOnly != tt.complianceOnly || d.RequiresEnroll != tt.complianceOnly {
				t.Fatalf("session: %+v, want compliance-only %v", d, tt.complianceOnly)
			}
			want, errType := 200, ""
			if tt.complianceOnly {
				want, errType = 403, "MFA_COMPLIANCE_REQUIRED"
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations", d.Token, nil), want, errType)
		})
	}
}

// TestLoginPolicyTransitions checks, at login and on every storage
// backend, that a member past an organization's deadline gets a
// compliance-only session, that relaxing the policy re-evaluates the
// member (a full session at the next login, no re-enrolment), and that a
// member suspended by the compliance job is restored by enrolling: the
// next login asks for the new factor and gives a full session.
func TestLoginPolicyTransitions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startServer(t, configure)
		owner := s.verifiedUser(t, "owner-tr@example.com")
		bob := s.verifiedUser(t, "bob-tr@example.com")
		orgID := s.newOrg(t, owner.Token, "transit-"+strings.TrimPrefix(randomName(), "t_"))
		s.joinOrg(t, owner.Token, orgID, bob, "member")
		// The owner is exempt, so only bob's standing matters.
		s.exemptFromMFAPolicy(t, owner.Token, orgID, owner.User.ID)

		s.setMFAPolicy(t, owner.Token, orgID, "require_totp", 0)
		d := s.loginStep(t, bob.User.Email)
		if d.Token == "" || !d.ComplianceOnly || !d.RequiresEnroll || s.mfaStanding(t, d.Token) != "past_due" {
			t.Fatalf("past due: %+v", d)
		}
		expect(t, s.call(t, "GET", "/api/v1/organizations", d.Token, nil), 403, "MFA_COMPLIANCE_REQUIRED")

		// Relaxing the policy re-evaluates bob: a full session.
		s.setMFAPolicy(t, owner.Token, orgID, "optional", 0)
		d = s.loginStep(t, bob.User.Email)
		if d.Token == "" || d.ComplianceOnly || d.RequiresEnroll || s.mfaStanding(t, d.Token) != "not_applicable" {
			t.Fatalf("after relaxing the policy: %+v", d)
		}
		expect(t, s.call(t, "GET", "/api/v1/organizations", d.Token, nil), 200, "")

		// Tightened again and suspended by the job: the job ends his
		// sessions, and a login still gives a compliance-only session.
		s.setMFAPolicy(t, owner.Token, orgID, "require_totp_or_webauthn", 0)
		rep, err := s.app.MFA.RunComplianceJob(t.Context(), "test-node")
		if err != nil || rep.Suspended != 1 {
			t.Fatalf("job: %+v, %v", rep, err)
		}
		expect(t, s.call(t, "GET", "/api/v1/auth/me", d.Token, nil), 401, "INVALID_TOKEN")
		if u, _ := s.app.Store().UserByID(t.Context(), bob.User.ID); u.Status != "compliance_suspended" {
			t.Fatalf("after the job: %s", u.Status)
		}
		d = s.loginStep(t, bob.User.Email)
		if d.Token == "" || !d.ComplianceOnly || s.mfaStanding(t, d.Token) != "suspended" {
			t.Fatalf("suspended login: %+v", d)
		}
		// Enrolling (allowed in the compliance-only session) restores
		// him; the next login asks for the code and is full.
		_, backups := s.enableTOTP(t, d.Token)
		if u, _ := s.app.Store().UserByID(t.Context(), bob.User.ID); u.Status != "active" {
			t.Fatalf("after enrolling: %s", u.Status)
		}
		d = s.loginStep(t, bob.User.Email)
		if d.Token != "" || !d.RequiresTOTP {
			t.Fatalf("after enrolling: %+v", d)
		}
		r := s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": d.PendingToken, "code": backups[0], "is_backup_code": true})
		expect(t, r, 200, "")
		r.data(t, &d)
		if d.Token == "" || d.ComplianceOnly || s.mfaStanding(t, d.Token) != "compliant" {
			t.Fatalf("restored: %+v", d)
		}
		expect(t, s.call(t, "GET", "/api/v1/organizations", d.Token, nil), 200, "")
	})
}
