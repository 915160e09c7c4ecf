package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/oidc"
)

// accountPages are the signed-in account pages (GET).
var accountPages = []string{"/account", "/account/password", "/account/security", "/account/sessions", "/account/apps",
	"/account/organizations", "/account/activity"}

// setSession puts the SSO cookie of a session token into the client's jar
// (the hosted /login page is rebuilt by the sign-in pages; signIn uses
// its form when it is there).
func (u *uiClient) setSession(token string) {
	base, err := url.Parse(u.base)
	if err != nil {
		u.t.Fatal(err)
	}
	u.hc.Jar.SetCookies(base, []*http.Cookie{{Name: "secuird_session", Value: token, Path: "/"}})
}

// signIn returns a client signed in as email: through the hosted login
// form (GET /login?next=/account, then POST it) when the page offers one,
// else with the SSO cookie of a REST login.
func signIn(t *testing.T, s *server, email, password string) *uiClient {
	t.Helper()
	u := newUIClient(t, s)
	if p := u.get("/login?next=/account"); p.status == http.StatusOK && strings.Contains(p.body, `name="password"`) && strings.Contains(p.body, `action="/login"`) {
		if res := u.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/account"}}); strings.HasSuffix(res.url, "/account") {
			return u
		}
	}
	u.setSession(s.loginAPI(t, email, password))
	return u
}

// flashOf is the text of the page's flash message ("" when none).
func flashOf(p page) string {
	m := regexp.MustCompile(`data-test="flash">([^<]*)<`).FindStringSubmatch(p.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// mustFlash fails unless the page shows the flash text want.
func (p page) mustFlash(t *testing.T, want string) {
	t.Helper()
	if got := flashOf(p); !strings.Contains(got, want) {
		t.Fatalf("page %s (status %d): flash %q, want %q\n%s", p.url, p.status, got, want, p.body)
	}
}

// signedOut fails unless a REST call was refused as not signed in.
func signedOut(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusUnauthorized {
		t.Fatalf("want 401, got %d: %s", r.status, r.raw)
	}
}

// TestAccountPagesRequireSignIn checks that every account page sends a
// signed-out browser to the login with the page as next, and that a POST
// without a session changes nothing.
func TestAccountPagesRequireSignIn(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	u := newUIClient(t, s)
	for _, path := range accountPages {
		p := u.getNoFollow(path)
		if p.status != http.StatusSeeOther || p.location != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s signed out: %d %q", path, p.status, p.location)
		}
	}
	if p := u.postNoFollow("/account/profile", url.Values{"full_name": {"Mallory"}}); p.status != http.StatusUnauthorized {
		t.Errorf("POST /account/profile signed out: %d", p.status)
	}
	// The old security paths move under /account, keeping the query.
	if p := u.getNoFollow("/security?continue=%2Foidc%2Flogin%3Fid%3Dabc"); p.status != http.StatusSeeOther ||
		p.location != "/account/security?continue=%2Foidc%2Flogin%3Fid%3Dabc" {
		t.Errorf("GET /security: %d %q", p.status, p.location)
	}
	if p := u.getNoFollow("/security/reauth"); p.location != "/account/reauth" {
		t.Errorf("GET /security/reauth: %d %q", p.status, p.location)
	}
}

// TestAccountPagesRender checks that each page renders in the shell for a
// signed-in user, in English and German, with the sub-navigation.
func TestAccountPagesRender(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	u := signIn(t, s, bobEmail, bobPassword)
	for _, path := range accountPages {
		p := u.get(path)
		if p.status != http.StatusOK || !strings.HasSuffix(p.url, path) {
			t.Fatalf("GET %s: %d at %s\n%s", path, p.status, p.url, p.body)
		}
		p.mustContain(t, `class="subnav"`, `href="/account/activity"`, `aria-current="page"`, bobEmail)
		p.mustNotContain(t, "<script>", "style=")
	}
	u.lang = "de"
	for path, want := range map[string]string{"/account": "Profil bearbeiten", "/account/password": "Aktuelles Passwort",
		"/account/security": "Authenticator-App", "/account/sessions": "Sitzungen und Geräte", "/account/apps": "Verbundene Apps",
		"/account/organizations": "Organisation erstellen", "/account/activity": "das Neueste zuerst"} {
		p := u.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s (de): %d", path, p.status)
		}
		p.mustContain(t, `lang="de"`, want)
	}
}

// TestAccountProfile edits the profile, refuses bad input and forged
// forms without a change, and resends the verification email.
func TestAccountProfile(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend func(*app.Config)) {
		s := startServer(t, backend)
		name := backendSlug(t)
		reg := s.register(t, "profile-"+name+"@example.com")
		u := newUIClient(t, s)
		u.setSession(reg.Token)
		p := u.get("/account")
		p.mustContain(t, "profile-"+name+"@example.com", `data-test="email-unverified"`, "Member since", `data-test="danger-zone"`)

		// A forged form (no valid token) changes nothing.
		if r := u.postNoFollow("/account/profile", url.Values{"csrf_token": {"forged"}, "full_name": {"Mallory"}}); r.status != http.StatusForbidden {
			t.Fatalf("forged profile form: %d", r.status)
		}
		u.get("/account").mustNotContain(t, "Mallory")

		// Bad input: the field's error, nothing saved.
		r := u.post("/account/profile", url.Values{"full_name": {"Ada Lovelace"}, "avatar_url": {"javascript:alert(1)"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad avatar: %d", r.status)
		}
		r.mustContain(t, `id="avatar_url-error"`, "Enter an http(s) address", `aria-invalid="true"`)
		u.get("/account").mustNotContain(t, "Ada Lovelace")

		r = u.post("/account/profile", url.Values{"full_name": {"Ada Lovelace"}, "avatar_url": {"https://img.example/ada.png"}})
		r.mustFlash(t, "Your profile was saved.")
		r.mustContain(t, `value="Ada Lovelace"`, `src="https://img.example/ada.png"`)

		r = u.post("/account/verify-email", nil)
		r.mustFlash(t, "A new verification email is on its way")
		if tok := s.linkToken(t, "profile-"+name+"@example.com", "verify_email"); tok == "" {
			t.Fatal("no verification link")
		}
	})
}

// TestAccountPassword changes the password through the form: field
// errors first, then the change, which signs out the other sessions only.
func TestAccountPassword(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	reg := s.register(t, "pw@example.com")
	other := s.loginAPI(t, "pw@example.com", pw)
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account/password")
	for _, tc := range []struct {
		name, current, next, confirm, field, text string
	}{
		{"wrong current password", "not-my-password", "a-brand-new-passphrase-42", "a-brand-new-passphrase-42", "current_password", "The current password is not correct."},
		{"confirmation differs", pw, "a-brand-new-passphrase-42", "something-else-entirely-9", "new_password_confirm", "The passwords do not match."},
		{"too short", pw, "short", "short", "new_password", "at least 8 characters"},
	} {
		r := u.post("/account/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}, "new_password_confirm": {tc.confirm}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: %d", tc.name, r.status)
		}
		r.mustContain(t, `id="`+tc.field+`-error"`, tc.text)
	}
	r := u.post("/account/password", url.Values{"current_password": {pw}, "new_password": {"a-brand-new-passphrase-42"},
		"new_password_confirm": {"a-brand-new-passphrase-42"}})
	r.mustFlash(t, "Your password was changed.")
	signedOut(t, s.call(t, "GET", "/api/v1/users/me", other, nil))
	if p := u.get("/account"); p.status != http.StatusOK || !strings.HasSuffix(p.url, "/account") {
		t.Fatalf("this session was signed out: %d %s", p.status, p.url)
	}
	s.loginAPI(t, "pw@example.com", "a-brand-new-passphrase-42")
}

// TestAccountStepUp checks that a sensitive change with an old proof goes
// through the re-authentication page and back.
func TestAccountStepUp(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = time.Nanosecond })
	reg := s.register(t, "stepup@example.com")
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account")
	r := u.postNoFollow("/account/delete", nil)
	if r.status != http.StatusSeeOther || r.location != "/account/reauth?next=%2Faccount" {
		t.Fatalf("delete with an old proof: %d %q", r.status, r.location)
	}
	if r := u.getNoFollow("/account/password"); r.status != http.StatusSeeOther || r.location != "/account/reauth?next=%2Faccount%2Fpassword" {
		t.Fatalf("password page with an old proof: %d %q", r.status, r.location)
	}
	p := u.get(r.location)
	p.mustContain(t, `name="next" value="/account"`, "This change needs a recent sign-in")
	if p := u.post("/account/reauth", url.Values{"password": {"wrong"}, "next": {"/account"}}); p.status != http.StatusUnauthorized {
		t.Fatalf("reauth with a wrong password: %d", p.status)
	}
	r = u.postNoFollow("/account/reauth", url.Values{"password": {pw}, "next": {"https://evil.example/"}})
	if r.status != http.StatusSeeOther || r.location != "/account/security" {
		t.Fatalf("reauth to a foreign next: %d %q", r.status, r.location)
	}
}

// TestAccountDelete deletes the account after the confirmation page.
func TestAccountDelete(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	reg := s.register(t, "gone@example.com")
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account")
	c := u.post("/account/delete", nil)
	c.mustContain(t, "Delete the account gone@example.com?", `name="confirm" value="yes"`, `action="/account/delete"`)
	expect(t, s.call(t, "GET", "/api/v1/users/me", reg.Token, nil), 200, "")
	r := u.postNoFollow("/account/delete", url.Values{"confirm": {"yes"}})
	if r.status != http.StatusSeeOther || r.location != "/login" {
		t.Fatalf("delete: %d %q", r.status, r.location)
	}
	signedOut(t, s.call(t, "GET", "/api/v1/users/me", reg.Token, nil))
	if p := u.getNoFollow("/account"); p.status != http.StatusSeeOther {
		t.Fatalf("after deletion: %d", p.status)
	}
}

// restSessionID is the ID of the session behind a REST token.
func restSessionID(t *testing.T, s *server, token string) string {
	t.Helper()
	r := s.call(t, "GET", "/api/v1/auth/sessions", token, nil)
	expect(t, r, 200, "")
	var d struct {
		Sessions []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	r.data(t, &d)
	for _, x := range d.Sessions {
		if x.Current {
			return x.ID
		}
	}
	t.Fatal("no current session")
	return ""
}

// TestAccountSessions lists the sessions, revokes another one, refuses a
// forged form and signs out everywhere else but here.
func TestAccountSessions(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend func(*app.Config)) {
		s := startServer(t, backend)
		name := backendSlug(t)
		email := "sessions-" + name + "@example.com"
		reg := s.register(t, email)
		other := s.loginAPI(t, email, pw)
		third := s.loginAPI(t, email, pw)
		u := newUIClient(t, s)
		u.setSession(reg.Token)
		p := u.get("/account/sessions")
		if n := strings.Count(p.body, `data-test="session"`); n != 3 {
			t.Fatalf("%d sessions listed\n%s", n, p.body)
		}
		p.mustContain(t, `data-test="current-session"`, "Sign out everywhere else")
		id := restSessionID(t, s, other)

		if r := u.postNoFollow("/account/sessions/"+id+"/revoke", url.Values{"csrf_token": {"forged"}, "confirm": {"yes"}}); r.status != http.StatusForbidden {
			t.Fatalf("forged revoke: %d", r.status)
		}
		expect(t, s.call(t, "GET", "/api/v1/users/me", other, nil), 200, "")
		u.post("/account/sessions/"+id+"/revoke", nil).mustContain(t, `name="confirm" value="yes"`, "Sign out the session from 127.0.0.1")
		r := u.post("/account/sessions/"+id+"/revoke", url.Values{"confirm": {"yes"}})
		r.mustFlash(t, "The session was signed out.")
		signedOut(t, s.call(t, "GET", "/api/v1/users/me", other, nil))
		// Another user's session is not found.
		if r := u.post("/account/sessions/no-such-session/revoke", url.Values{"confirm": {"yes"}}); r.status != http.StatusNotFound {
			t.Fatalf("unknown session: %d", r.status)
		}

		r = u.post("/account/sessions/revoke-others", url.Values{"confirm": {"yes"}})
		r.mustFlash(t, "1 other session(s) signed out.")
		signedOut(t, s.call(t, "GET", "/api/v1/users/me", third, nil))
		expect(t, s.call(t, "GET", "/api/v1/users/me", reg.Token, nil), 200, "")
		if n := strings.Count(r.body, `data-test="session"`); n != 1 {
			t.Fatalf("%d sessions left", n)
		}
	})
}

// TestAccountApps lists a remembered consent with the client's name and
// scopes in words and revokes it after confirmation.
func TestAccountApps(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := t.Context()
	bob, err := s.app.Store().UserByEmail(ctx, bobEmail)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, c := range []oidc.Consent{
		{UserID: bob.ID, ClientID: portalID, Scopes: []string{"openid", "email", "offline_access"}, CreatedAt: now, UpdatedAt: now},
		{UserID: bob.ID, ClientID: "tech-dashboard-001", Scopes: []string{"openid", "profile"}, CreatedAt: now, UpdatedAt: now},
	} {
		if err := s.app.Store().PutConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	u := signIn(t, s, bobEmail, bobPassword)
	p := u.get("/account/apps")
	p.mustContain(t, "Acme Internal Portal", "Tech Startup Dashboard", "Your email address", "Access while you are away",
		`src="https://portal.acme-corp.com/logo.png"`)
	if n := strings.Count(p.body, `data-test="app"`); n != 2 {
		t.Fatalf("%d apps listed", n)
	}
	c := u.post("/account/apps/"+portalID+"/revoke", nil)
	c.mustContain(t, "Remove the access of Acme Internal Portal?")
	r := u.post("/account/apps/"+portalID+"/revoke", url.Values{"confirm": {"yes"}})
	r.mustFlash(t, "access was removed")
	r.mustNotContain(t, "Acme Internal Portal")
	r.mustContain(t, "Tech Startup Dashboard")
	if r := u.post("/account/apps/"+portalID+"/revoke", url.Values{"confirm": {"yes"}}); r.status != http.StatusNotFound {
		t.Fatalf("revoke twice: %d", r.status)
	}
}

// TestAccountOrganizations creates an organization from the form and
// accepts and declines invitations as the signed-in user.
func TestAccountOrganizations(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, backend func(*app.Config)) {
		s := startServer(t, backend)
		name := backendSlug(t)
		if err := s.app.Seed(t.Context(), io.Discard); err != nil {
			t.Fatal(err)
		}
		owner := s.register(t, "owner-"+name+"@example.com")
		orgA := s.createOrg(t, owner.Token, "Alpha Works", "alpha-"+name)
		orgB := s.createOrg(t, owner.Token, "Beta Works", "beta-"+name)
		for _, id := range []string{orgA, orgB} {
			expect(t, s.call(t, "POST", "/api/v1/organizations/"+id+"/invites", owner.Token, map[string]any{"email": bobEmail, "role": "admin"}), 201, "")
		}
		u := signIn(t, s, bobEmail, bobPassword)
		p := u.get("/account/organizations")
		if n := strings.Count(p.body, `data-test="invite"`); n != 2 {
			t.Fatalf("%d invites listed\n%s", n, p.body)
		}
		ids := regexp.MustCompile(`action="/account/invites/([^/]+)/accept"`).FindAllStringSubmatch(p.body, -1)
		alpha, beta := ids[0][1], ids[1][1]
		if strings.Index(p.body, "Alpha Works") > strings.Index(p.body, "Beta Works") {
			alpha, beta = beta, alpha
		}
		// A forged form joins nothing.
		if r := u.postNoFollow("/account/invites/"+alpha+"/accept", url.Values{"csrf_token": {"forged"}}); r.status != http.StatusForbidden {
			t.Fatalf("forged accept: %d", r.status)
		}
		r := u.post("/account/invites/"+alpha+"/accept", nil)
		r.mustFlash(t, "You joined Alpha Works.")
		r.mustContain(t, `href="/orgs/alpha-`+name+`"`)
		r = u.post("/account/invites/"+beta+"/decline", url.Values{"confirm": {"yes"}})
		r.mustFlash(t, "The invitation was declined.")
		r.mustNotContain(t, "Beta Works")
		if r := u.post("/account/invites/"+beta+"/accept", nil); r.status != http.StatusNotFound {
			t.Fatalf("accept a declined invite: %d", r.status)
		}

		// Create: a taken slug is a field error, then a new one works.
		r = u.post("/account/organizations", url.Values{"name": {"Gamma"}, "slug": {"alpha-" + name}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("taken slug: %d", r.status)
		}
		r.mustContain(t, `id="org-slug-error"`, "This short name is taken", `value="Gamma"`)
		r = u.postNoFollow("/account/organizations", url.Values{"name": {"Gamma Labs"}, "slug": {"gamma-" + name}, "description": {"Lab"}})
		if r.status != http.StatusSeeOther || r.location != "/orgs/gamma-"+name {
			t.Fatalf("create: %d %q", r.status, r.location)
		}
		p = u.get("/account/organizations")
		p.mustFlash(t, "The organization Gamma Labs was created.")
		p.mustContain(t, "Gamma Labs", `href="/orgs/gamma-`+name+`"`)
	})
}

// TestAccountActivity shows the user's own audit trail in words, one
// keyset page at a time.
func TestAccountActivity(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	reg := s.register(t, "activity@example.com")
	for i := range 30 {
		expect(t, s.call(t, "PATCH", "/api/v1/users/me", reg.Token, map[string]any{"full_name": fmt.Sprintf("Name %d", i)}), 200, "")
	}
	s.register(t, "someone-else@example.com")
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	p := u.get("/account/activity")
	p.mustContain(t, "Profile changed", `data-test="next-page"`, "Succeeded")
	p.mustNotContain(t, "someone-else@example.com")
	first := strings.Count(p.body, `data-test="activity-entry"`)
	next := regexp.MustCompile(`href="(/account/activity\?cursor=[^"]+)"`).FindStringSubmatch(p.body)
	if first != 25 || next == nil {
		t.Fatalf("first page: %d entries, next %v", first, next)
	}
	p2 := u.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := strings.Count(p2.body, `data-test="activity-entry"`); n == 0 || n > 25 || p2.status != http.StatusOK {
		t.Fatalf("second page: %d entries, status %d", n, p2.status)
	}
	p2.mustContain(t, "Account created")
	if p := u.get("/account/activity?cursor=garbage"); !strings.Contains(flashOf(p), "no longer valid") {
		t.Fatalf("bad cursor: %d %q", p.status, flashOf(p))
	}
}

// TestAccountComplianceOnly checks that a compliance-only session reaches
// only the security page (with the banner); the other pages send it there.
func TestAccountComplianceOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	owner := s.register(t, "strict-owner@example.com")
	orgID := s.createOrg(t, owner.Token, "Strict", "strict-acct")
	s.setMFAPolicy(t, owner.Token, orgID, "require_totp", 0)
	tok := s.loginAPI(t, "strict-owner@example.com", pw)
	u := newUIClient(t, s)
	u.setSession(tok)
	for _, path := range accountPages {
		if path == "/account/security" {
			continue
		}
		if p := u.getNoFollow(path); p.status != http.StatusSeeOther || p.location != "/account/security" {
			t.Errorf("GET %s compliance-only: %d %q", path, p.status, p.location)
		}
	}
	p := u.get("/account/security")
	p.mustContain(t, `data-test="compliance-banner"`, "Two-factor authentication is required", "requires an authenticator app", `data-test="totp-enroll"`)
	if r := u.postNoFollow("/account/sessions/revoke-others", url.Values{"confirm": {"yes"}}); r.status != http.StatusSeeOther || r.location != "/account/security" {
		t.Errorf("POST as compliance-only: %d %q", r.status, r.location)
	}
}

// TestSecurityPasskeyRefusals renames a passkey and shows the core's
// refusal to delete the last passkey an organization requires (the page
// names the reason; the passkey stays).
func TestSecurityPasskeyRefusals(t *testing.T) {
	t.Parallel()
	s := startLocalhost(t)
	reg := s.register(t, "keys@example.com")
	orgID := s.createOrg(t, reg.Token, "Keys Only", "keys-only")
	s.addPasskey(t, reg.Token, reg.User.ID)
	s.setMFAPolicy(t, reg.Token, orgID, "require_webauthn", 0)
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	p := u.get("/account/security")
	m := regexp.MustCompile(`action="/account/security/passkeys/([^/"]+)/delete"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no passkey listed:\n%s", p.body)
	}
	r := u.post("/account/security/passkeys/"+m[1]+"/rename", url.Values{"name": {"Work laptop"}})
	r.mustFlash(t, "The passkey was renamed.")
	r.mustContain(t, `value="Work laptop"`)
	u.post("/account/security/passkeys/"+m[1]+"/delete", nil).mustContain(t, "Delete the passkey Work laptop?")
	r = u.post("/account/security/passkeys/"+m[1]+"/delete", url.Values{"confirm": {"yes"}})
	r.mustFlash(t, "An organization you belong to requires a passkey.")
	r.mustContain(t, `role="alert"`, "Work laptop")
	u.lang = "de"
	u.post("/account/security/passkeys/"+m[1]+"/delete", url.Values{"confirm": {"yes"}}).mustFlash(t, "Eine Organisation, der Sie angehören, verlangt einen Passkey.")
}

// TestSecurityLastSignInMethod shows the core's refusal to delete the
// passkey of an account without a password (its only way to sign in).
func TestSecurityLastSignInMethod(t *testing.T) {
	t.Parallel()
	var dbPath string
	s := startServer(t, func(c *app.Config) { dbPath = c.SQLitePath() })
	reg := s.register(t, "passkey-only@example.com")
	now := time.Now().UTC()
	if err := s.app.Store().AddPasskey(t.Context(), mfa.Passkey{ID: "pk-only-1", UserID: reg.User.ID, CredentialID: []byte("cred-only-1"),
		Name: "Phone", Record: []byte("{}"), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	// The account loses its password (as an account made by a passkey
	// sign-up would have none).
	dropPassword(t, dbPath, reg.User.ID)
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account/security").mustContain(t, "Phone", `action="/account/security/passkeys/pk-only-1/delete"`)
	r := u.post("/account/security/passkeys/pk-only-1/delete", url.Values{"confirm": {"yes"}})
	r.mustFlash(t, "This passkey is your only way to sign in. Set a password or add another passkey first.")
	r.mustContain(t, `data-test="passkey"`, "Phone")
	u.get("/account").mustContain(t, "Your account has no password")
}
