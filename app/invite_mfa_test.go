package app_test

import (
	"testing"

	"github.com/secuird/secuird/app"
)

// TestInviteAcceptanceReachesTheMFAStep checks the invite path of the
// login state machine on every storage backend: accepting an invitation
// into an organization whose policy requires MFA never yields a full
// session without the required factor. A new account signing up by
// invite gets a compliance-only session (requires_mfa_enrollment); an
// existing account accepting with its session is past due at its next
// login (compliance-only) or, with TOTP, is asked for the code first.
func TestInviteAcceptanceReachesTheMFAStep(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startServer(t, configure)
		owner := s.verifiedUser(t, "owner-inv@example.com")
		strict := s.newOrg(t, owner.Token, "strict-"+uniq("inv"))
		lenient := s.newOrg(t, owner.Token, "grace-"+uniq("inv"))
		for orgID, policy := range map[string]struct {
			mode      string
			graceDays int
		}{
			strict:  {"require_totp", 0},
			lenient: {"require_totp_or_webauthn", 7},
		} {
			// The owner is exempt, so the owner's own session keeps
			// inviting.
			s.exemptFromMFAPolicy(t, owner.Token, orgID, owner.User.ID)
			s.setMFAPolicy(t, owner.Token, orgID, policy.mode, policy.graceDays)
		}
		type signedUp struct {
			Token          string `json:"token"`
			ComplianceOnly bool   `json:"compliance_only"`
			RequiresEnroll bool   `json:"requires_mfa_enrollment"`
			Compliance     *struct {
				Overall string `json:"overall_status"`
			} `json:"mfa_compliance"`
		}
		signUp := func(t *testing.T, orgID, email string) signedUp {
			t.Helper()
			inv := s.inviteTo(t, owner.Token, orgID, email, "member")
			r := s.call(t, "POST", "/api/v1/invites/"+inv+"/accept", "", map[string]any{"full_name": "Invited", "password": pw, "password_confirm": pw})
			expect(t, r, 201, "")
			var d signedUp
			r.data(t, &d)
			if d.Token == "" {
				t.Fatalf("sign-up by invite: %s", r.raw)
			}
			return d
		}

		t.Run("a new account signing up to a strict organization gets a compliance-only session", func(t *testing.T) {
			email := "new-strict@example.com"
			d := signUp(t, strict, email)
			if !d.ComplianceOnly || !d.RequiresEnroll || d.Compliance == nil || d.Compliance.Overall != "past_due" {
				t.Fatalf("sign-up: %+v", d)
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations", d.Token, nil), 403, "MFA_COMPLIANCE_REQUIRED")
			expect(t, s.call(t, "GET", "/api/v1/organizations/"+strict, d.Token, nil), 403, "MFA_COMPLIANCE_REQUIRED")
			// The password login is compliance-only too, until the
			// account enrols; then it asks for the code.
			if p := s.loginStep(t, email); p.Token == "" || !p.ComplianceOnly || !p.RequiresEnroll {
				t.Fatalf("login after sign-up: %+v", p)
			}
			s.enableTOTP(t, d.Token)
			if p := s.loginStep(t, email); p.Token != "" || !p.RequiresTOTP {
				t.Fatalf("login after enrolling: %+v", p)
			}
		})

		t.Run("a new account signing up to an organization with a grace period gets a full session in grace", func(t *testing.T) {
			d := signUp(t, lenient, "new-grace@example.com")
			if d.ComplianceOnly || d.RequiresEnroll || s.mfaStanding(t, d.Token) != "in_grace" {
				t.Fatalf("sign-up: %+v", d)
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations", d.Token, nil), 200, "")
		})

		t.Run("an existing account without MFA accepting with its session is compliance-only at its next login", func(t *testing.T) {
			carol := s.verifiedUser(t, "carol-inv@example.com")
			inv := s.inviteTo(t, owner.Token, strict, carol.User.Email, "member")
			expect(t, s.call(t, "POST", "/api/v1/invites/"+inv+"/accept", carol.Token, nil), 200, "")
			if st := s.mfaStanding(t, carol.Token); st != "past_due" {
				t.Fatalf("standing after accepting: %s", st)
			}
			p := s.loginStep(t, carol.User.Email)
			if p.Token == "" || !p.ComplianceOnly || !p.RequiresEnroll {
				t.Fatalf("login after accepting: %+v", p)
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations/"+strict, p.Token, nil), 403, "MFA_COMPLIANCE_REQUIRED")
		})

		t.Run("an existing account with TOTP accepting with its session is asked for the code at its next login", func(t *testing.T) {
			dave := s.verifiedUser(t, "dave-inv@example.com")
			_, backups := s.enableTOTP(t, dave.Token)
			inv := s.inviteTo(t, owner.Token, strict, dave.User.Email, "member")
			expect(t, s.call(t, "POST", "/api/v1/invites/"+inv+"/accept", dave.Token, nil), 200, "")
			p := s.loginStep(t, dave.User.Email)
			if p.Token != "" || !p.RequiresTOTP || p.PendingToken == "" {
				t.Fatalf("login after accepting: %+v", p)
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations/"+strict, p.PendingToken, nil), 401, "INVALID_TOKEN")
			r := s.call(t, "POST", "/api/v1/auth/totp/verify", "", map[string]any{"pending_token": p.PendingToken, "code": backups[0], "is_backup_code": true})
			expect(t, r, 200, "")
			r.data(t, &p)
			if p.Token == "" || p.ComplianceOnly || s.mfaStanding(t, p.Token) != "compliant" {
				t.Fatalf("after the code: %+v", p)
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations/"+strict, p.Token, nil), 200, "")
		})
	})
}
