package app_test

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/secuird/secuird/app"
)

// TestMFAEndpoints drives TOTP enrolment, backup codes, passkey listing,
// an organization policy and the compliance view over HTTP on every
// backend.
func TestMFAEndpoints(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startServer(t, configure)
		owner := s.register(t, "owner@example.com")
		bob := s.register(t, "bob@example.com")

		r := s.call(t, "POST", "/api/v1/auth/totp/enroll", owner.Token, nil)
		expect(t, r, 200, "")
		var en struct {
			Secret      string   `json:"secret"`
			URI         string   `json:"provisioning_uri"`
			QR          string   `json:"qr_code"`
			BackupCodes []string `json:"backup_codes"`
		}
		r.data(t, &en)
		if len(en.BackupCodes) != 10 || en.QR == "" || en.URI == "" {
			t.Fatalf("enroll: %s", r.raw)
		}
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify-enrollment", owner.Token, map[string]any{"code": "000000"}), 401, "AUTHENTICATION_ERROR")
		code, _ := totp.GenerateCode(en.Secret, time.Now())
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/verify-enrollment", owner.Token, map[string]any{"code": code}), 200, "")
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/enroll", owner.Token, nil), 409, "CONFLICT")
		r = s.call(t, "GET", "/api/v1/auth/totp/status", owner.Token, nil)
		expect(t, r, 200, "")
		var st struct {
			Enabled bool `json:"totp_enabled"`
			Left    int  `json:"backup_codes_remaining"`
		}
		r.data(t, &st)
		if !st.Enabled || st.Left != 10 {
			t.Fatalf("status: %s", r.raw)
		}
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/regenerate-backup-codes", owner.Token, map[string]any{"password": "wrong-one-here"}), 401, "AUTHENTICATION_ERROR")
		expect(t, s.call(t, "POST", "/api/v1/auth/totp/regenerate-backup-codes", owner.Token, map[string]any{"password": pw}), 200, "")
		r = s.call(t, "GET", "/api/v1/auth/webauthn/credentials", owner.Token, nil)
		expect(t, r, 200, "")
		r = s.call(t, "POST", "/api/v1/auth/webauthn/register/begin", owner.Token, nil)
		if r.status != 200 || r.header.Get("X-WebAuthn-Session-Token") == "" {
			t.Fatalf("register/begin: %d %s", r.status, r.raw)
		}

		// An organization that requires either factor.
		r = s.call(t, "POST", "/api/v1/organizations", owner.Token, map[string]any{"name": "Acme", "slug": "acme-mfa"})
		expect(t, r, 201, "")
		var created struct {
			Organization struct {
				ID string `json:"id"`
			} `json:"organization"`
		}
		r.data(t, &created)
		orgID := created.Organization.ID
		expect(t, s.call(t, "GET", "/api/v1/organizations/"+orgID+"/security-policy", bob.Token, nil), 404, "NOT_FOUND")
		expect(t, s.call(t, "PUT", "/api/v1/organizations/"+orgID+"/security-policy", owner.Token,
			map[string]any{"mfa_policy_mode": "require_both"}), 400, "VALIDATION_ERROR")
		r = s.call(t, "PUT", "/api/v1/organizations/"+orgID+"/security-policy", owner.Token,
			map[string]any{"mfa_policy_mode": "require_totp_or_webauthn", "mfa_grace_period_days": 7})
		expect(t, r, 200, "")
		r = s.call(t, "GET", "/api/v1/users/me/mfa-compliance", owner.Token, nil)
		expect(t, r, 200, "")
		var agg struct {
			Overall string `json:"overall_status"`
		}
		r.data(t, &agg)
		if agg.Overall != "compliant" {
			t.Fatalf("owner with TOTP: %s", r.raw)
		}
		r = s.call(t, "GET", "/api/v1/organizations/"+orgID+"/mfa-compliance?page_size=10", owner.Token, nil)
		expect(t, r, 200, "")
		expect(t, s.call(t, "DELETE", "/api/v1/admin/users/"+owner.User.ID+"/mfa/totp", bob.Token, nil), 404, "NOT_FOUND")
		expect(t, s.call(t, "DELETE", "/api/v1/auth/totp/disable", owner.Token, map[string]any{"password": pw}), 200, "")
	})
}
