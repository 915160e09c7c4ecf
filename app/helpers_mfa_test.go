package app_test

import "testing"

// setMFAPolicy sets an organization's MFA policy over the REST API, as
// token (an owner or admin of the organization).
func (s *server) setMFAPolicy(t *testing.T, token, orgID, mode string, graceDays int) {
	t.Helper()
	expect(t, s.call(t, "PUT", "/api/v1/organizations/"+orgID+"/security-policy", token,
		map[string]any{"mfa_policy_mode": mode, "mfa_grace_period_days": graceDays}), 200, "")
}

// exemptFromMFAPolicy exempts a member from an organization's MFA policy
// over the REST API, as token (an owner or admin of the organization).
func (s *server) exemptFromMFAPolicy(t *testing.T, token, orgID, userID string) {
	t.Helper()
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+orgID+"/users/"+userID+"/security-policy", token,
		map[string]any{"mfa_override_mode": "exempt"}), 200, "")
}

// mfaStanding is the overall MFA compliance status of token's user.
func (s *server) mfaStanding(t *testing.T, token string) string {
	t.Helper()
	r := s.call(t, "GET", "/api/v1/users/me/mfa-compliance", token, nil)
	expect(t, r, 200, "")
	var c struct {
		Overall string `json:"overall_status"`
	}
	r.data(t, &c)
	return c.Overall
}
