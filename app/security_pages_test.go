package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/app"
)

// securityDo requests a security page with the SSO cookie (no redirects).
func securityDo(t *testing.T, s *server, token, method, path string, form url.Values) (reply, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "secuird_session", Value: token})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header}, string(b)
}

// formCSRF returns the csrf_token of the form posting to action.
func formCSRF(t *testing.T, page, action string) string {
	t.Helper()
	re := regexp.MustCompile(`action="` + regexp.QuoteMeta(action) + `"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"`)
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form %s in\n%s", action, page)
	}
	return m[1]
}

// TestSecurityPages walks the hosted security page without a browser:
// sign-in required, CSRF on every form, TOTP enrolment with the manual
// key, backup codes once, and turning TOTP off.
func TestSecurityPages(t *testing.T) {
	t.Parallel()
	s := startLocalhost(t)
	if resp, _ := securityDo(t, s, "", http.MethodGet, "/security", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("signed out: %d", resp.StatusCode)
	}
	tok := s.loginAPI(t, bobEmail, bobPassword)
	resp, page := securityDo(t, s, tok, http.MethodGet, "/security", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != http.StatusOK || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("security page: %d csp %q", resp.StatusCode, csp)
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, "Set up an authenticator app") {
		t.Fatalf("security page:\n%s", page)
	}
	// No or a wrong CSRF token: refused.
	if resp, _ := securityDo(t, s, tok, http.MethodPost, "/security/totp/enroll", url.Values{"csrf_token": {"x"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("enroll without csrf: %d", resp.StatusCode)
	}
	// Another session's token does not fit this session.
	other := s.loginAPI(t, bobEmail, bobPassword)
	_, otherPage := securityDo(t, s, other, http.MethodGet, "/security", nil)
	if resp, _ := securityDo(t, s, tok, http.MethodPost, "/security/totp/enroll",
		url.Values{"csrf_token": {formCSRF(t, otherPage, "/security/totp/enroll")}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("enroll with another session's csrf: %d", resp.StatusCode)
	}
	resp, en := securityDo(t, s, tok, http.MethodPost, "/security/totp/enroll", url.Values{"csrf_token": {formCSRF(t, page, "/security/totp/enroll")}})
	m := regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`).FindStringSubmatch(en)
	if resp.StatusCode != http.StatusOK || m == nil || !strings.Contains(en, `src="data:image/png;base64,`) {
		t.Fatalf("enrol page %d:\n%s", resp.StatusCode, en)
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, codes := securityDo(t, s, tok, http.MethodPost, "/security/totp/confirm", url.Values{"csrf_token": {formCSRF(t, en, "/security/totp/confirm")}, "code": {code}})
	if resp.StatusCode != http.StatusOK || strings.Count(codes, "<li><code>") != 10 {
		t.Fatalf("confirm %d:\n%s", resp.StatusCode, codes)
	}
	_, page = securityDo(t, s, tok, http.MethodGet, "/security", nil)
	if !strings.Contains(page, "10 backup codes left") {
		t.Fatalf("after enrolment:\n%s", page)
	}
	// Turning it off (the session is fresh: no step-up needed).
	resp, _ = securityDo(t, s, tok, http.MethodPost, "/security/totp/disable", url.Values{"csrf_token": {formCSRF(t, page, "/security/totp/disable")}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/security?done=totp-disabled" {
		t.Fatalf("disable: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page = securityDo(t, s, tok, http.MethodGet, "/security?done=totp-disabled", nil); !strings.Contains(page, "Set up an authenticator app") {
		t.Fatalf("after disable:\n%s", page)
	}
}

// TestSecurityPagesStepUp checks that turning TOTP off and deleting a
// passkey send a session with an old proof to the re-authenticate form.
func TestSecurityPagesStepUp(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = time.Nanosecond })
	if err := s.app.Seed(t.Context(), io.Discard); err != nil {
		t.Fatal(err)
	}
	tok := s.loginAPI(t, bobEmail, bobPassword)
	_, page := securityDo(t, s, tok, http.MethodGet, "/security", nil)
	_, en := securityDo(t, s, tok, http.MethodPost, "/security/totp/enroll", url.Values{"csrf_token": {formCSRF(t, page, "/security/totp/enroll")}})
	secret := regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`).FindStringSubmatch(en)[1]
	code, _ := totp.GenerateCode(secret, time.Now())
	securityDo(t, s, tok, http.MethodPost, "/security/totp/confirm", url.Values{"csrf_token": {formCSRF(t, en, "/security/totp/confirm")}, "code": {code}})
	_, page = securityDo(t, s, tok, http.MethodGet, "/security", nil)
	for _, action := range []string{"/security/totp/disable", "/security/totp/backup-codes"} {
		resp, _ := securityDo(t, s, tok, http.MethodPost, action, url.Values{"csrf_token": {formCSRF(t, page, action)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/security/reauth" {
			t.Fatalf("%s: %d %s", action, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, re := securityDo(t, s, tok, http.MethodGet, "/security/reauth", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(re, "Or a code from your authenticator app") {
		t.Fatalf("reauth page %d:\n%s", resp.StatusCode, re)
	}
	csrf := formCSRF(t, re, "/security/reauth")
	if resp, _ := securityDo(t, s, tok, http.MethodPost, "/security/reauth", url.Values{"csrf_token": {csrf}, "password": {"wrong password"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reauth with a wrong password: %d", resp.StatusCode)
	}
	resp, _ = securityDo(t, s, tok, http.MethodPost, "/security/reauth", url.Values{"csrf_token": {csrf}, "password": {bobPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/security?done=reauth" {
		t.Fatalf("reauth: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestHostedLoginComplianceFlow checks that a past-due user signing in on
// the hosted login lands on the enrolment flow (banner, TOTP set-up) with
// a way back to the auth request, and that the restricted session is not
// accepted for SSO.
func TestHostedLoginComplianceFlow(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	owner := s.register(t, "owner-flow@example.com")
	orgID := s.createOrg(t, owner.Token, "Strict", "strict-flow")
	expect(t, s.call(t, "PUT", "/api/v1/organizations/"+orgID+"/security-policy", owner.Token,
		map[string]any{"mfa_policy_mode": "require_totp", "mfa_grace_period_days": 0}), 200, "")
	r := newRP(t, s)
	authURL := r.conf.AuthCodeURL("st-co", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	res, page := r.login(authURL, owner.User.Email, pw)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Two-factor authentication is required") ||
		!strings.Contains(page, "requires an authenticator app") || !strings.Contains(page, "Sign in again to continue") {
		t.Fatalf("compliance-only login: %d\n%s", res.StatusCode, page)
	}
	// The restricted session does not sign in to applications.
	if res, body := r.get(authURL); res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("authorize with a compliance-only session: %d", res.StatusCode)
	}
	cont := regexp.MustCompile(`name="continue" value="([^"]+)"`).FindStringSubmatch(page)
	if cont == nil || !strings.HasPrefix(cont[1], "/oidc/login?id=") {
		t.Fatalf("no continue field:\n%s", page)
	}
	post := func(path string, form url.Values) (int, string) {
		resp, err := r.browser.PostForm(s.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, en := post("/security/totp/enroll", url.Values{"csrf_token": {formCSRF(t, page, "/security/totp/enroll")}, "continue": {cont[1]}})
	m := regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`).FindStringSubmatch(en)
	if code != http.StatusOK || m == nil {
		t.Fatalf("enrol: %d\n%s", code, en)
	}
	otp, _ := totp.GenerateCode(m[1], time.Now())
	code, codes := post("/security/totp/confirm", url.Values{"csrf_token": {formCSRF(t, en, "/security/totp/confirm")}, "code": {otp},
		"continue": {regexp.MustCompile(`name="continue" value="([^"]+)"`).FindStringSubmatch(en)[1]}})
	if code != http.StatusOK || strings.Count(codes, "<li><code>") != 10 || !strings.Contains(codes, "Continue signing in") {
		t.Fatalf("confirm: %d\n%s", code, codes)
	}
	// Signing in again now asks for the new second factor.
	res, body := r.login(authURL, owner.User.Email, pw)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/oidc/mfa"`) {
		t.Fatalf("second login: %d\n%.400s", res.StatusCode, body)
	}
}
