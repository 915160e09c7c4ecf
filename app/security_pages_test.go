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
	if resp, _ := securityDo(t, s, "", http.MethodGet, "/account/security", nil); resp.StatusCode != http.StatusSeeOther ||
		resp.Header.Get("Location") != "/login?next=%2Faccount%2Fsecurity" {
		t.Fatalf("signed out: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	u := newUIClient(t, s)
	u.setSession(s.loginAPI(t, bobEmail, bobPassword))
	p := u.get("/account/security")
	resp, _ := securityDo(t, s, s.loginAPI(t, bobEmail, bobPassword), http.MethodGet, "/account/security", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if p.status != http.StatusOK || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("security page: %d csp %q", p.status, csp)
	}
	if strings.Contains(p.body, "<script>") || !strings.Contains(p.body, "Set up an authenticator app") {
		t.Fatalf("security page:\n%s", p.body)
	}
	// No or a wrong CSRF token: refused.
	if r := u.postNoFollow("/account/security/totp/enroll", url.Values{"csrf_token": {"x"}}); r.status != http.StatusForbidden {
		t.Fatalf("enroll without csrf: %d", r.status)
	}
	// Another session's token does not fit this session.
	other := newUIClient(t, s)
	other.setSession(s.loginAPI(t, bobEmail, bobPassword))
	otherPage := other.get("/account/security")
	if r := u.postNoFollow("/account/security/totp/enroll",
		url.Values{"csrf_token": {formCSRF(t, otherPage.body, "/account/security/totp/enroll")}}); r.status != http.StatusForbidden {
		t.Fatalf("enroll with another session's csrf: %d", r.status)
	}
	u.get("/account/security")
	en := u.post("/account/security/totp/enroll", nil)
	m := regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`).FindStringSubmatch(en.body)
	if en.status != http.StatusOK || m == nil || !strings.Contains(en.body, `src="data:image/png;base64,`) {
		t.Fatalf("enrol page %d:\n%s", en.status, en.body)
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	codes := u.post("/account/security/totp/confirm", url.Values{"code": {code}})
	if codes.status != http.StatusOK || strings.Count(codes.body, "<li><code>") != 10 {
		t.Fatalf("confirm %d:\n%s", codes.status, codes.body)
	}
	p = u.get("/account/security")
	if !strings.Contains(p.body, "10 backup codes left") {
		t.Fatalf("after enrolment:\n%s", p.body)
	}
	// Turning it off (the session is fresh: no step-up needed) asks first.
	u.post("/account/security/totp/disable", nil).mustContain(t, `name="confirm" value="yes"`)
	r := u.postNoFollow("/account/security/totp/disable", url.Values{"confirm": {"yes"}})
	if r.status != http.StatusSeeOther || r.location != "/account/security" {
		t.Fatalf("disable: %d %s", r.status, r.location)
	}
	p = u.get("/account/security")
	p.mustFlash(t, "The authenticator app was turned off.")
	p.mustContain(t, "Set up an authenticator app")
}

// TestSecurityPagesStepUp checks that turning TOTP off and new backup
// codes send a session with an old proof to the re-authenticate form.
func TestSecurityPagesStepUp(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = time.Nanosecond })
	if err := s.app.Seed(t.Context(), io.Discard); err != nil {
		t.Fatal(err)
	}
	u := newUIClient(t, s)
	u.setSession(s.loginAPI(t, bobEmail, bobPassword))
	u.get("/account/security")
	en := u.post("/account/security/totp/enroll", nil)
	secret := regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`).FindStringSubmatch(en.body)[1]
	code, _ := totp.GenerateCode(secret, time.Now())
	u.post("/account/security/totp/confirm", url.Values{"code": {code}})
	u.get("/account/security")
	for _, action := range []string{"/account/security/totp/disable", "/account/security/totp/backup-codes"} {
		r := u.postNoFollow(action, url.Values{"confirm": {"yes"}})
		if r.status != http.StatusSeeOther || r.location != "/account/reauth?next=%2Faccount%2Fsecurity" {
			t.Fatalf("%s: %d %s", action, r.status, r.location)
		}
	}
	re := u.get("/account/reauth?next=%2Faccount%2Fsecurity")
	if re.status != http.StatusOK || !strings.Contains(re.body, "Or a code from your authenticator app") {
		t.Fatalf("reauth page %d:\n%s", re.status, re.body)
	}
	if r := u.post("/account/reauth", url.Values{"password": {"wrong password"}, "next": {"/account/security"}}); r.status != http.StatusUnauthorized {
		t.Fatalf("reauth with a wrong password: %d", r.status)
	}
	r := u.postNoFollow("/account/reauth", url.Values{"password": {bobPassword}, "next": {"/account/security"}})
	if r.status != http.StatusSeeOther || r.location != "/account/security" {
		t.Fatalf("reauth: %d %s", r.status, r.location)
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
	s.setMFAPolicy(t, owner.Token, orgID, "require_totp", 0)
	r := newRP(t, s)
	authURL := r.conf.AuthCodeURL("st-co", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	res, page := r.login(authURL, owner.User.Email, pw)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Two-factor authentication is required") ||
		!strings.Contains(page, "requires an authenticator app") || strings.Contains(page, "Sign in again to continue") {
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
	code, en := post("/account/security/totp/enroll", url.Values{"csrf_token": {formCSRF(t, page, "/account/security/totp/enroll")}, "continue": {cont[1]}})
	m := regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`).FindStringSubmatch(en)
	if code != http.StatusOK || m == nil {
		t.Fatalf("enrol: %d\n%s", code, en)
	}
	otp, _ := totp.GenerateCode(m[1], time.Now())
	code, codes := post("/account/security/totp/confirm", url.Values{"csrf_token": {formCSRF(t, en, "/account/security/totp/confirm")}, "code": {otp},
		"continue": {regexp.MustCompile(`name="continue" value="([^"]+)"`).FindStringSubmatch(en)[1]}})
	if code != http.StatusOK || strings.Count(codes, "<li><code>") != 10 || !strings.Contains(codes, "Continue signing in") {
		t.Fatalf("confirm: %d\n%s", code, codes)
	}
	// The security page now offers the way on (before enrolment it did not).
	if resp, err := r.browser.Get(s.url + "/account/security?continue=" + url.QueryEscape(cont[1])); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if !strings.Contains(string(b), "Sign in again to continue") {
			t.Fatalf("no way on after enrolment:\n%s", b)
		}
	}
	// Signing in again now asks for the new second factor.
	res, body := r.login(authURL, owner.User.Email, pw)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/oidc/mfa"`) {
		t.Fatalf("second login: %d\n%.400s", res.StatusCode, body)
	}
}
