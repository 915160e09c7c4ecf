package app_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestRESTLogoutEndsTheOAuthSession checks that POST /api/v1/auth/logout,
// given the same session that signed in through the hosted OIDC login,
// also revokes the refresh tokens issued under that session.
func TestRESTLogoutEndsTheOAuthSession(t *testing.T) {
	s := startOIDC(t, nil)
	r := newRP(t, s)
	tok, _, _ := r.codeFlow(t)
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token")
	}
	u, _ := url.Parse(s.url)
	var session string
	for _, c := range r.browser.Jar.Cookies(u) {
		if c.Name == "secuird_session" {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no SSO session cookie after the hosted login")
	}
	expect(t, s.call(t, "POST", "/api/v1/auth/logout", session, nil), 200, "")
	status, body, _ := postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh after REST logout: %d %v", status, body)
	}
}
