package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/message"
)

// selfSSOCookie is the hosted pages' session cookie on a test server (http).
const selfSSOCookie = "secuird_session"

// selfSessionToken is the session token the browser's cookie jar holds for
// the server ("" when signed out).
func (u *uiClient) selfSessionToken() string {
	base, _ := url.Parse(u.base + "/")
	for _, c := range u.hc.Jar.Cookies(base) {
		if c.Name == selfSSOCookie {
			return c.Value
		}
	}
	return ""
}

// selfSignInAs puts a session (from the REST login) into the browser, as the
// sign-in page would.
func (u *uiClient) selfSignInAs(token string) {
	base, _ := url.Parse(u.base + "/")
	u.hc.Jar.SetCookies(base, []*http.Cookie{{Name: selfSSOCookie, Value: token, Path: "/"}})
}

// selfMeView is the part of GET /auth/me the self-service tests look at.
type selfMeView struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Orgs          []struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	} `json:"orgs"`
}

// selfMe fetches the profile of token's user.
func (s *server) selfMe(t *testing.T, token string) selfMeView {
	t.Helper()
	r := s.call(t, "GET", "/api/v1/auth/me", token, nil)
	expect(t, r, 200, "")
	var v selfMeView
	r.data(t, &v)
	return v
}

// selfLoginStatus is the REST login's status for email and password.
func (s *server) selfLoginStatus(t *testing.T, email, password string) int {
	t.Helper()
	return s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password}).status
}

// selfRedirectTo checks a 303 to want (path and query).
func (p page) selfRedirectTo(t *testing.T, want string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.location != want {
		t.Fatalf("got %d to %q, want 303 to %q:\n%s", p.status, p.location, want, p.body)
	}
}

// TestSelfServicePages drives the self-service pages like a browser without
// JavaScript, on every storage backend.
func TestSelfServicePages(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend func(*app.Config)) {
		s := startServer(t, backend)
		// The first account becomes a platform admin; take that
		// place so the tests' users are ordinary.
		s.register(t, "root-self@example.com")
		t.Run("register signs in and the emailed link verifies", func(t *testing.T) { testSelfRegisterVerify(t, s) })
		t.Run("register refuses bad input and creates nobody", func(t *testing.T) { testSelfRegisterInvalid(t, s) })
		t.Run("register keeps the continuation", func(t *testing.T) { testSelfRegisterContinuation(t, s) })
		t.Run("forgot and reset password", func(t *testing.T) { testSelfForgotReset(t, s) })
		t.Run("reset with a bad or missing token", func(t *testing.T) { testSelfResetBadToken(t, s) })
		t.Run("verify with a used token offers a new link", func(t *testing.T) { testSelfVerifyUsed(t, s) })
		t.Run("invite for a new person registers and joins", func(t *testing.T) { testSelfInviteNewUser(t, s) })
		t.Run("invite for an existing account needs a sign-in", func(t *testing.T) { testSelfInviteExistingUser(t, s) })
		t.Run("invite while signed in with another email", func(t *testing.T) { testSelfInviteWrongUser(t, s) })
		t.Run("invite sign-up into an MFA organization leads to enrolment", func(t *testing.T) { testSelfInviteMFAPolicy(t, s) })
		t.Run("invite declined after a confirmation", func(t *testing.T) { testSelfInviteDecline(t, s) })
		t.Run("every form refuses a missing CSRF token", func(t *testing.T) { testSelfCSRF(t, s) })
		t.Run("German", func(t *testing.T) { testSelfGerman(t, s) })
	})
}

func testSelfRegisterVerify(t *testing.T, s *server) {
	const email = "self-reg@example.com"
	c := newUIClient(t, s)
	p := c.get("/register")
	if p.status != 200 {
		t.Fatalf("register page: %d", p.status)
	}
	p.mustContain(t, `action="/register"`, `<label for="full_name">`, `<label for="password_confirm">`, `data-test="register-submit"`, `href="/login"`)
	p = c.postNoFollow("/register", url.Values{"full_name": {"Self Person"}, "email": {email}, "password": {pw}, "password_confirm": {pw}})
	p.selfRedirectTo(t, "/account")
	tok := c.selfSessionToken()
	if tok == "" {
		t.Fatal("registration did not sign the browser in")
	}
	if me := s.selfMe(t, tok); me.Email != email || me.EmailVerified {
		t.Fatalf("after registration: %+v", me)
	}

	link := s.linkToken(t, email, message.VerifyEmail)
	p = c.getNoFollow("/verify-email?token=" + url.QueryEscape(link))
	p.selfRedirectTo(t, "/verify-email")
	p = c.get("/verify-email")
	if p.status != 200 || strings.Contains(p.url, "token") {
		t.Fatalf("verify page: %d at %s", p.status, p.url)
	}
	p.mustContain(t, `data-test="verify-submit"`, `action="/verify-email"`)
	p.mustNotContain(t, link)
	// The GET alone verified nothing (a mail scanner cannot use the link).
	if s.selfMe(t, tok).EmailVerified {
		t.Fatal("the GET of the link verified the email")
	}
	c.postNoFollow("/verify-email", nil).selfRedirectTo(t, "/account")
	if !s.selfMe(t, tok).EmailVerified {
		t.Fatal("email not verified after the POST")
	}
}

func testSelfRegisterInvalid(t *testing.T, s *server) {
	cases := []struct {
		name, email, password, confirm string
		want                           []string
	}{
		{"password too short", "self-short@example.com", "short", "short", []string{`data-test="password-error"`, "at least 8 characters"}},
		{"password too easy to guess", "self-weak@example.com", "password", "password", []string{`data-test="password-error"`, "too common"}},
		{"password built on the email", "self-personal@example.com", "self-personal@example.com", "self-personal@example.com", []string{`data-test="password-error"`, "contains your email address or name"}},
		{"confirmation differs", "self-mismatch@example.com", pw, pw + "x", []string{`data-test="password-confirm-error"`, "do not match"}},
		{"email malformed", "not-an-email", pw, pw, []string{`data-test="email-error"`, "valid email address"}},
		{"email missing", "", pw, pw, []string{`data-test="email-error"`, "Enter your email address"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newUIClient(t, s)
			c.get("/register")
			p := c.post("/register", url.Values{"full_name": {"Kept Name"}, "email": {tc.email}, "password": {tc.password}, "password_confirm": {tc.confirm}})
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.status)
			}
			p.mustContain(t, append(tc.want, `aria-invalid="true"`, `value="Kept Name"`, `data-test="form-error"`)...)
			if tc.password != "" && tc.password != tc.email {
				p.mustNotContain(t, `value="`+tc.password+`"`)
			}
			if c.selfSessionToken() != "" {
				t.Fatal("a refused registration signed the browser in")
			}
			if tc.email != "" && strings.Contains(tc.email, "@") {
				if st := s.selfLoginStatus(t, tc.email, tc.password); st != 401 {
					t.Fatalf("login after a refused registration: %d, want 401 (no account)", st)
				}
			}
		})
	}
	t.Run("email taken is reported at the field, as the REST API does", func(t *testing.T) {
		s.register(t, "self-taken@example.com")
		c := newUIClient(t, s)
		c.get("/register")
		p := c.post("/register", url.Values{"full_name": {"Second"}, "email": {"self-taken@example.com"}, "password": {pw}, "password_confirm": {pw}})
		if p.status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", p.status)
		}
		p.mustContain(t, `data-test="email-error"`, "already exists")
		if c.selfSessionToken() != "" {
			t.Fatal("signed in as someone else's account")
		}
	})
}

func testSelfRegisterContinuation(t *testing.T, s *server) {
	c := newUIClient(t, s)
	p := c.get("/register?next=%2Faccount%2Fsecurity")
	p.mustContain(t, `name="next" value="/account/security"`, `href="/login?next=%2Faccount%2Fsecurity"`)
	c.postNoFollow("/register", url.Values{"full_name": {"Next Person"}, "email": {"self-next@example.com"}, "password": {pw}, "password_confirm": {pw},
		"next": {"/account/security"}}).selfRedirectTo(t, "/account/security")
	// A foreign target is never followed.
	c2 := newUIClient(t, s)
	c2.get("/register")
	c2.postNoFollow("/register", url.Values{"full_name": {"Next Person"}, "email": {"self-next2@example.com"}, "password": {pw}, "password_confirm": {pw},
		"next": {"https://evil.example/"}}).selfRedirectTo(t, "/account")
}

func testSelfForgotReset(t *testing.T, s *server) {
	const email = "self-reset@example.com"
	browser := newUIClient(t, s)
	browser.get("/register")
	browser.postNoFollow("/register", url.Values{"full_name": {"Reset Person"}, "email": {email}, "password": {pw}, "password_confirm": {pw}}).selfRedirectTo(t, "/account")
	oldSession := browser.selfSessionToken()

	c := newUIClient(t, s)
	p := c.get("/forgot-password")
	p.mustContain(t, `action="/forgot-password"`, `<label for="email">`)
	known := c.post("/forgot-password", url.Values{"email": {email}})
	ghost := c.post("/forgot-password", url.Values{"email": {"self-ghost@example.com"}})
	for _, p := range []page{known, ghost} {
		if p.status != 200 || !strings.HasSuffix(p.url, "/forgot-password?sent=1") {
			t.Fatalf("forgot answer: %d at %s", p.status, p.url)
		}
		p.mustContain(t, `data-test="forgot-sent"`, `data-test="flash"`, "If an account exists for this address")
	}
	if selfStrip(known.body) != selfStrip(ghost.body) {
		t.Fatal("forgot-password answers differ for a known and an unknown address")
	}
	// The sign-in page's continuation survives the detour.
	c.get("/forgot-password?next=%2Faccount%2Fsecurity")
	p = c.post("/forgot-password", url.Values{"email": {"self-ghost2@example.com"}, "next": {"/account/security"}})
	p.mustContain(t, `data-test="forgot-sent"`, `href="/login?next=%2Faccount%2Fsecurity"`)
	c.get("/forgot-password")
	bad := c.post("/forgot-password", url.Values{"email": {"not an email"}})
	if bad.status != http.StatusUnprocessableEntity {
		t.Fatalf("malformed address: %d", bad.status)
	}
	bad.mustContain(t, `data-test="email-error"`)

	tok := s.linkToken(t, email, message.PasswordReset)
	c.getNoFollow("/reset-password?token="+url.QueryEscape(tok)).selfRedirectTo(t, "/reset-password")
	p = c.get("/reset-password")
	if p.status != 200 || strings.Contains(p.url, "token") {
		t.Fatalf("reset page: %d at %s", p.status, p.url)
	}
	p.mustContain(t, `action="/reset-password"`, `data-test="reset-submit"`)
	p.mustNotContain(t, tok)

	const np = "new-granite-lantern-42"
	p = c.post("/reset-password", url.Values{"password": {np}, "password_confirm": {"something-else-42"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("mismatch: %d", p.status)
	}
	p.mustContain(t, `data-test="password-confirm-error"`)
	c.postNoFollow("/reset-password", url.Values{"password": {np}, "password_confirm": {np}}).selfRedirectTo(t, "/login")

	if r := s.call(t, "GET", "/api/v1/auth/me", oldSession, nil); r.status != 401 {
		t.Fatalf("the old session survived the reset: %d", r.status)
	}
	if st := s.selfLoginStatus(t, email, np); st != 200 {
		t.Fatalf("new password: %d", st)
	}
	if st := s.selfLoginStatus(t, email, pw); st != 401 {
		t.Fatalf("old password: %d", st)
	}
	// The cookie is gone and the token spent.
	p = c.get("/reset-password")
	if p.status != http.StatusGone {
		t.Fatalf("reset page after use: %d", p.status)
	}
	p.mustContain(t, `data-test="link-expired"`, `href="/forgot-password"`)
}

func testSelfResetBadToken(t *testing.T, s *server) {
	c := newUIClient(t, s)
	c.get("/reset-password?token=not-a-real-token-0123456789abcdef")
	p := c.post("/reset-password", url.Values{"password": {pw}, "password_confirm": {pw}})
	if p.status != http.StatusGone {
		t.Fatalf("bad token: %d", p.status)
	}
	p.mustContain(t, `data-test="link-expired"`)
	fresh := newUIClient(t, s)
	if p := fresh.get("/reset-password"); p.status != http.StatusGone {
		t.Fatalf("no token at all: %d", p.status)
	}
}

func testSelfVerifyUsed(t *testing.T, s *server) {
	const email = "self-used@example.com"
	c := newUIClient(t, s)
	c.get("/register")
	c.postNoFollow("/register", url.Values{"full_name": {"Used Link"}, "email": {email}, "password": {pw}, "password_confirm": {pw}}).selfRedirectTo(t, "/account")
	link := s.linkToken(t, email, message.VerifyEmail)

	// Another browser uses the link up.
	other := newUIClient(t, s)
	other.get("/verify-email?token=" + url.QueryEscape(link))
	other.postNoFollow("/verify-email", nil).selfRedirectTo(t, "/login")

	// Used again, anonymously: expired, with a way to sign in.
	again := newUIClient(t, s)
	again.get("/verify-email?token=" + url.QueryEscape(link))
	p := again.post("/verify-email", nil)
	if p.status != http.StatusGone {
		t.Fatalf("used token: %d", p.status)
	}
	p.mustContain(t, `data-test="link-expired"`, `href="/login?next=%2Fverify-email"`)

	// A signed-in user whose address is not verified gets the resend form.
	const email2 = "self-resend@example.com"
	c2 := newUIClient(t, s)
	c2.get("/register")
	c2.postNoFollow("/register", url.Values{"full_name": {"Resend"}, "email": {email2}, "password": {pw}, "password_confirm": {pw}}).selfRedirectTo(t, "/account")
	first := s.linkToken(t, email2, message.VerifyEmail)
	p = c2.get("/verify-email")
	if p.status != http.StatusGone {
		t.Fatalf("no token: %d", p.status)
	}
	p.mustContain(t, `data-test="resend-form"`, email2)
	p = c2.post("/verify-email/resend", nil)
	p.mustContain(t, `data-test="flash"`)
	second := first
	for deadline := time.Now().Add(5 * time.Second); second == first && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		second = s.linkToken(t, email2, message.VerifyEmail)
	}
	if second == first {
		t.Fatal("no new verification link was sent")
	}
	c2.get("/verify-email?token=" + url.QueryEscape(second))
	c2.postNoFollow("/verify-email", nil).selfRedirectTo(t, "/account")
	if !s.selfMe(t, c2.selfSessionToken()).EmailVerified {
		t.Fatal("the resent link did not verify")
	}
}

// selfInviteSetup is an organization (with a logo) whose owner invites.
func selfInviteSetup(t *testing.T, s *server, owner string) (authData, string) {
	t.Helper()
	o := s.verifiedUser(t, owner)
	orgID := s.newOrg(t, o.Token, uniq("selfinv"))
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+orgID, o.Token, map[string]any{"name": "Acme Widgets", "logo_url": "https://cdn.example.com/acme.png"}), 200, "")
	return o, orgID
}

// selfMemberOf reports whether token's user belongs to orgID.
func selfMemberOf(t *testing.T, s *server, token, orgID string) bool {
	t.Helper()
	for _, o := range s.selfMe(t, token).Orgs {
		if o.ID == orgID {
			return true
		}
	}
	return false
}

func testSelfInviteNewUser(t *testing.T, s *server) {
	owner, orgID := selfInviteSetup(t, s, "self-inv-owner1@example.com")
	const email = "self-invitee-new@example.com"
	tok := s.inviteTo(t, owner.Token, orgID, email, "admin")
	c := newUIClient(t, s)
	c.getNoFollow("/invite?token="+url.QueryEscape(tok)).selfRedirectTo(t, "/invite")
	p := c.get("/invite")
	if p.status != 200 || strings.Contains(p.url, "token") {
		t.Fatalf("invite page: %d at %s", p.status, p.url)
	}
	p.mustContain(t, "Acme Widgets", `src="https://cdn.example.com/acme.png"`, `data-test="invite-role">Admin<`, email, `data-test="invite-signup-form"`)
	p.mustNotContain(t, tok)

	p = c.post("/invite/register", url.Values{"full_name": {"New Invitee"}, "password": {"short"}, "password_confirm": {"short"}})
	if p.status != http.StatusUnprocessableEntity {
		t.Fatalf("weak password: %d", p.status)
	}
	p.mustContain(t, `data-test="password-error"`, `value="New Invitee"`, "Acme Widgets")
	if st := s.selfLoginStatus(t, email, "short"); st != 401 {
		t.Fatalf("an account was created: %d", st)
	}

	c.postNoFollow("/invite/register", url.Values{"full_name": {"New Invitee"}, "password": {pw}, "password_confirm": {pw}}).selfRedirectTo(t, "/account/organizations")
	sess := c.selfSessionToken()
	if sess == "" {
		t.Fatal("not signed in after joining")
	}
	me := s.selfMe(t, sess)
	if !me.EmailVerified || me.Email != email || !selfMemberOf(t, s, sess, orgID) {
		t.Fatalf("after joining: %+v", me)
	}
	// The token is spent: the page says so.
	p = newUIClient(t, s).get("/invite?token=" + url.QueryEscape(tok))
	if p.status != http.StatusGone {
		t.Fatalf("used invite: %d", p.status)
	}
	p.mustContain(t, `data-test="invite-expired"`)
}

func testSelfInviteExistingUser(t *testing.T, s *server) {
	owner, orgID := selfInviteSetup(t, s, "self-inv-owner2@example.com")
	u := s.verifiedUser(t, "self-invitee-old@example.com")
	tok := s.inviteTo(t, owner.Token, orgID, u.User.Email, "member")

	c := newUIClient(t, s)
	p := c.get("/invite?token=" + url.QueryEscape(tok))
	p.mustContain(t, `data-test="invite-sign-in"`, `href="/login?next=%2Finvite"`)
	p.mustNotContain(t, `data-test="invite-signup-form"`, `data-test="invite-join"`)
	// The link alone grants nothing, whatever is posted (with a valid
	// anonymous CSRF token from another page).
	c.get("/register")
	c.postNoFollow("/invite/register", url.Values{"full_name": {"Taker"}, "password": {pw}, "password_confirm": {pw}}).selfRedirectTo(t, "/invite")
	if c.selfSessionToken() != "" || selfMemberOf(t, s, u.Token, orgID) {
		t.Fatal("the invite link signed in or joined an existing account")
	}
	if p := c.post("/invite/accept", nil); p.status != http.StatusUnauthorized {
		t.Fatalf("accept without a session: %d", p.status)
	}

	// After signing in (the cookie kept the token), the join button.
	c.selfSignInAs(u.Token)
	p = c.get("/invite")
	p.mustContain(t, `data-test="invite-join"`, "Join Acme Widgets")
	if selfMemberOf(t, s, u.Token, orgID) {
		t.Fatal("joined by looking at the page")
	}
	c.postNoFollow("/invite/accept", nil).selfRedirectTo(t, "/account/organizations")
	if !selfMemberOf(t, s, u.Token, orgID) {
		t.Fatal("not a member after accepting")
	}
	if p := c.get("/invite"); p.status != http.StatusGone {
		t.Fatalf("invite page after accepting: %d", p.status)
	}
}

func testSelfInviteWrongUser(t *testing.T, s *server) {
	owner, orgID := selfInviteSetup(t, s, "self-inv-owner3@example.com")
	other := s.verifiedUser(t, "self-invitee-other@example.com")
	tok := s.inviteTo(t, owner.Token, orgID, "self-invitee-meant@example.com", "member")

	c := newUIClient(t, s)
	c.selfSignInAs(other.Token)
	p := c.get("/invite?token=" + url.QueryEscape(tok))
	p.mustContain(t, `data-test="invite-mismatch"`, "self-invitee-other@example.com", "self-invitee-meant@example.com", `action="/logout"`, `data-test="invite-sign-out"`)
	p.mustNotContain(t, `data-test="invite-join"`)
	p = c.post("/invite/accept", nil)
	p.mustContain(t, `data-test="invite-mismatch"`, `data-test="flash"`)
	if selfMemberOf(t, s, other.Token, orgID) {
		t.Fatal("joined with another email")
	}
	// Sign-out from the page works (its CSRF token is the session's).
	c.postNoFollow("/logout", nil).selfRedirectTo(t, "/login")
	if r := s.call(t, "GET", "/api/v1/auth/me", other.Token, nil); r.status != 401 {
		t.Fatalf("session alive after sign-out: %d", r.status)
	}
}

func testSelfInviteMFAPolicy(t *testing.T, s *server) {
	owner, orgID := selfInviteSetup(t, s, "self-inv-owner5@example.com")
	// The owner is exempt, so the owner's session keeps inviting.
	s.exemptFromMFAPolicy(t, owner.Token, orgID, owner.User.ID)
	s.setMFAPolicy(t, owner.Token, orgID, "require_totp", 0)
	tok := s.inviteTo(t, owner.Token, orgID, "self-invitee-mfa@example.com", "member")
	c := newUIClient(t, s)
	c.get("/invite?token=" + url.QueryEscape(tok))
	p := c.postNoFollow("/invite/register", url.Values{"full_name": {"Needs MFA"}, "password": {pw}, "password_confirm": {pw}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/account/security") {
		t.Fatalf("got %d to %q, want the enrolment page", p.status, p.location)
	}
	sess := c.selfSessionToken()
	if sess == "" {
		t.Fatal("no session after joining")
	}
	// The session is compliance-only: the REST API refuses it beyond the
	// enrolment allow-list.
	r := s.call(t, "GET", "/api/v1/organizations", sess, nil)
	if r.status != http.StatusForbidden {
		t.Fatalf("full access without the required MFA: %d", r.status)
	}
}

var selfInviteID = regexp.MustCompile(`name="invite_id" value="([^"]+)"`)

func testSelfInviteDecline(t *testing.T, s *server) {
	owner, orgID := selfInviteSetup(t, s, "self-inv-owner6@example.com")
	u := s.verifiedUser(t, "self-invitee-decline@example.com")
	tok := s.inviteTo(t, owner.Token, orgID, u.User.Email, "member")
	other := s.verifiedUser(t, "self-invitee-nosy@example.com")

	c := newUIClient(t, s)
	c.selfSignInAs(u.Token)
	p := c.get("/invite?token=" + url.QueryEscape(tok))
	p.mustContain(t, `data-test="invite-join"`, `data-test="invite-decline"`)
	m := selfInviteID.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no invite_id on the decline form")
	}
	// Someone else cannot decline it by its ID.
	nosy := newUIClient(t, s)
	nosy.selfSignInAs(other.Token)
	nosy.get("/invite?token="+url.QueryEscape(tok)).mustContain(t, `data-test="invite-mismatch"`)
	if p := nosy.postNoFollow("/invite/decline", url.Values{"invite_id": {m[1]}, "confirm": {"yes"}}); p.status != http.StatusGone {
		t.Fatalf("another user's decline: %d", p.status)
	}
	// The first POST asks; the confirmed one declines.
	p = c.post("/invite/decline", url.Values{"invite_id": {m[1]}})
	p.mustContain(t, `data-test="confirm"`, `name="confirm" value="yes"`, `name="invite_id" value="`+m[1]+`"`)
	c.postNoFollow("/invite/decline", url.Values{"invite_id": {m[1]}, "confirm": {"yes"}}).selfRedirectTo(t, "/account/organizations")
	if selfMemberOf(t, s, u.Token, orgID) {
		t.Fatal("declining joined")
	}
	if p := newUIClient(t, s).get("/invite?token=" + url.QueryEscape(tok)); p.status != http.StatusGone {
		t.Fatalf("declined invite still open: %d", p.status)
	}
}

func testSelfCSRF(t *testing.T, s *server) {
	signedIn := s.verifiedUser(t, "self-csrf@example.com")
	owner, orgID := selfInviteSetup(t, s, "self-inv-owner4@example.com")
	tok := s.inviteTo(t, owner.Token, orgID, "self-csrf-new@example.com", "member")
	cases := []struct {
		name, get, post string
		form            url.Values
		session         bool
	}{
		{"register", "/register", "/register", url.Values{"full_name": {"X"}, "email": {"self-csrf-reg@example.com"}, "password": {pw}, "password_confirm": {pw}}, false},
		{"forgot password", "/forgot-password", "/forgot-password", url.Values{"email": {"self-csrf@example.com"}}, false},
		{"reset password", "/reset-password?token=whatever-token-0123456789", "/reset-password", url.Values{"password": {pw}, "password_confirm": {pw}}, false},
		{"verify email", "/verify-email?token=whatever-token-0123456789", "/verify-email", nil, false},
		{"resend verification", "/verify-email", "/verify-email/resend", nil, true},
		{"invite sign-up", "/invite?token=" + url.QueryEscape(tok), "/invite/register", url.Values{"full_name": {"X"}, "password": {pw}, "password_confirm": {pw}}, false},
		{"invite accept", "/invite?token=" + url.QueryEscape(tok), "/invite/accept", nil, true},
		{"invite decline", "/invite?token=" + url.QueryEscape(tok), "/invite/decline", url.Values{"invite_id": {"x"}, "confirm": {"yes"}}, true},
	}
	for _, tc := range cases {
		for _, csrf := range []string{"", "forged-token"} {
			t.Run(tc.name+" "+map[string]string{"": "without", "forged-token": "with a forged"}[csrf]+" token", func(t *testing.T) {
				c := newUIClient(t, s)
				if tc.session {
					c.selfSignInAs(signedIn.Token)
				}
				c.get(tc.get)
				form := url.Values{}
				for k, v := range tc.form {
					form[k] = v
				}
				form.Set("csrf_token", csrf)
				p := c.postNoFollow(tc.post, form)
				if p.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403", p.status)
				}
				p.mustContain(t, "The form has expired")
			})
		}
	}
	// Nothing happened: no account, the invite still open.
	if st := s.selfLoginStatus(t, "self-csrf-reg@example.com", pw); st != 401 {
		t.Fatalf("a forged registration created an account: %d", st)
	}
	newUIClient(t, s).get("/invite?token="+url.QueryEscape(tok)).mustContain(t, `data-test="invite-signup-form"`)
}

func testSelfGerman(t *testing.T, s *server) {
	c := newUIClient(t, s)
	c.lang = "de-DE,de;q=0.9,en;q=0.5"
	p := c.get("/register")
	p.mustContain(t, `<html lang="de">`, "Konto erstellen", "Passwort bestätigen", "Vollständiger Name")
	p.mustNotContain(t, "Create account", "self.")
	p = c.post("/register", url.Values{"full_name": {"Deutsch"}, "email": {"self-de@example.com"}, "password": {"kurz"}, "password_confirm": {"anders"}})
	p.mustContain(t, "mindestens 8 Zeichen", "stimmen nicht überein")
	c.get("/forgot-password").mustContain(t, "Passwort zurücksetzen")
}

// selfStrip removes the per-page CSRF token so two pages can be compared.
func selfStrip(body string) string { return csrfField.ReplaceAllString(body, "") }

// TestSelfServicePagesRateLimit checks that the pages count under the
// REST routes' limits (one budget per client for both) and answer a
// refusal with the error page and Retry-After.
func TestSelfServicePagesRateLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.ForgotPassword = "2/min"
		c.RateLimit.Register = "2/min"
	})
	expect(t, s.call(t, "POST", "/api/v1/auth/forgot-password", "", map[string]any{"email": "self-rl@example.com"}), 200, "")
	c := newUIClient(t, s)
	c.get("/forgot-password")
	if p := c.post("/forgot-password", url.Values{"email": {"self-rl@example.com"}}); p.status != 200 {
		t.Fatalf("second request: %d", p.status)
	}
	p := c.postNoFollow("/forgot-password", url.Values{"email": {"self-rl@example.com"}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("third request: %d", p.status)
	}
	p.mustContain(t, "Too many attempts", `<html lang="en">`)

	c.get("/register")
	for range 2 {
		c.post("/register", url.Values{"email": {"self-rl@example.com"}, "password": {"short"}, "password_confirm": {"short"}})
	}
	p = c.postNoFollow("/register", url.Values{"email": {"self-rl@example.com"}, "password": {"short"}, "password_confirm": {"short"}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("register over the limit: %d", p.status)
	}
}

// TestSelfRegisterContinuesOIDCLogin registers from an OIDC login (the
// sign-in page's "create an account" link carries ?id=): the new
// session completes the authorization request.
func TestSelfRegisterContinuesOIDCLogin(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	r := newRP(t, s)
	authURL := r.conf.AuthCodeURL("st-self", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), gooidc.Nonce("n-self"))
	res, body := r.get(authURL)
	m := hiddenID.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("authorize: %d without a login form: %.300s", res.StatusCode, body)
	}
	id := m[1]
	res, body = r.get(s.url + "/register?id=" + url.QueryEscape(id))
	csrf := hiddenCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || csrf == nil || !strings.Contains(body, `name="id" value="`+id+`"`) {
		t.Fatalf("register page: %d: %.500s", res.StatusCode, body)
	}
	post, err := r.browser.PostForm(s.url+"/register", url.Values{"id": {id}, "csrf_token": {csrf[1]}, "full_name": {"Oidc Newcomer"},
		"email": {"self-oidc@example.com"}, "password": {pw}, "password_confirm": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	defer post.Body.Close()
	b, _ := io.ReadAll(post.Body)
	loc := redirectTo(t, reply{post.StatusCode, post.Header}, string(b))
	if q := loc.Query(); q.Get("code") == "" || q.Get("state") != "st-self" {
		t.Fatalf("authorization response %s: want a code and the state", loc)
	}
}
