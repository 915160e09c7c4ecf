package app_test

import (
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

var hiddenPendingToken = regexp.MustCompile(`name="pending_token" value="([^"]+)"`)

// follow fetches path without following redirects itself, then follows
// those that stay on the server; it returns the last page and, when a
// redirect leaves the server (to a relying party), its URL.
func (u *uiClient) follow(p page) (page, *url.URL) {
	u.t.Helper()
	for i := 0; i < 10 && p.status >= 300 && p.status < 400; i++ {
		loc, err := url.Parse(p.location)
		if err != nil {
			u.t.Fatal(err)
		}
		if loc.IsAbs() && !strings.HasPrefix(p.location, u.base) {
			return p, loc
		}
		if loc.IsAbs() {
			p = u.getNoFollow(p.location)
		} else {
			p = u.getNoFollow(loc.RequestURI())
		}
	}
	return p, nil
}

// TestUILoginPage checks the standalone sign-in page: its links carry the
// continuation, the email field offers passkeys in autofill, and the page
// may load its script (and nothing else).
func TestUILoginPage(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	u := newUIClient(t, s)
	p := u.get("/login?next=/account/profile")
	if p.status != http.StatusOK {
		t.Fatalf("GET /login: %d", p.status)
	}
	p.mustContain(t, `action="/login"`, `name="next" value="/account/profile"`, `autocomplete="username webauthn"`,
		`href="/forgot-password?next=%2Faccount%2Fprofile"`, `href="/register?next=%2Faccount%2Fprofile"`,
		`data-passkey-signin`, `data-passkey-conditional`, `src="/static/js/passkey.js"`, "Sign in with a passkey", "Forgot password?", "Create account")
	p.mustNotContain(t, `name="id"`)
	res, err := http.Get(s.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	u.lang = "de-DE,de;q=0.9"
	u.get("/login").mustContain(t, `lang="de"`, "Anmelden", "Passwort vergessen?", "Mit einem Passkey anmelden", "Konto erstellen")
	u.get("/oidc/device?user_code=BCDF-GHJK").mustContain(t, "Gerät verbinden", `value="BCDF-GHJK"`, "Weiter")
	if p := u.post("/oidc/device", url.Values{"user_code": {"ZZZZ-ZZZZ"}}); p.status != http.StatusBadRequest {
		t.Fatalf("unknown device code: %d", p.status)
	} else {
		p.mustContain(t, "Der Code ist ungültig oder abgelaufen.", `aria-invalid="true"`)
	}
	u.get("/oidc/logged-out").mustContain(t, "Sie sind abgemeldet.")
}

// TestUILogin runs the standalone sign-in on every storage backend.
func TestUILogin(t *testing.T) {
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startServer(t, configure)
		email := "signin-" + strings.TrimPrefix(randomName(), "t_") + "@example.com"
		s.register(t, email)

		t.Run("a password sign-in continues to next and later visits skip the form", func(t *testing.T) {
			u := newUIClient(t, s)
			u.get("/login?next=/account/profile")
			p := u.postNoFollow("/login", url.Values{"email": {email}, "password": {pw}, "next": {"/account/profile"}})
			if p.status != http.StatusSeeOther || p.location != "/account/profile" {
				t.Fatalf("sign-in: %d %q", p.status, p.location)
			}
			if p := u.getNoFollow("/login?next=/account/sessions"); p.status != http.StatusSeeOther || p.location != "/account/sessions" {
				t.Fatalf("signed-in GET /login: %d %q", p.status, p.location)
			}
		})

		t.Run("a wrong password shows the form again with one generic message and no session", func(t *testing.T) {
			for _, who := range []string{email, "nobody-" + email} {
				u := newUIClient(t, s)
				u.get("/login?next=/account")
				p := u.postNoFollow("/login", url.Values{"email": {who}, "password": {"wrong-password-1"}, "next": {"/account"}})
				if p.status != http.StatusUnauthorized {
					t.Fatalf("wrong password for %s: %d", who, p.status)
				}
				p.mustContain(t, "Invalid email or password.", `value="`+who+`"`, `aria-invalid="true"`, `name="next" value="/account"`)
				if p := u.getNoFollow("/login"); p.status != http.StatusOK {
					t.Fatalf("after a failed sign-in: %d (a session?)", p.status)
				}
			}
		})

		t.Run("a forged CSRF token is refused and signs nobody in", func(t *testing.T) {
			u := newUIClient(t, s)
			u.get("/login")
			p := u.postNoFollow("/login", url.Values{"email": {email}, "password": {pw}, "csrf_token": {"forged"}})
			if p.status != http.StatusForbidden {
				t.Fatalf("forged token: %d", p.status)
			}
			// A token from another browser does not work either.
			other := newUIClient(t, s)
			other.get("/login")
			if p := u.postNoFollow("/login", url.Values{"email": {email}, "password": {pw}, "csrf_token": {other.csrf}}); p.status != http.StatusForbidden {
				t.Fatalf("another browser's token: %d", p.status)
			}
			if p := u.getNoFollow("/login"); p.status != http.StatusOK {
				t.Fatalf("after the refusal: %d", p.status)
			}
		})

		t.Run("next never leaves the site", func(t *testing.T) {
			for _, next := range []string{"https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"} {
				u := newUIClient(t, s)
				u.get("/login")
				p := u.postNoFollow("/login", url.Values{"email": {email}, "password": {pw}, "next": {next}})
				if p.status != http.StatusSeeOther || p.location != "/account" {
					t.Fatalf("next %q: %d %q", next, p.status, p.location)
				}
			}
		})
	})
}

// TestUILoginSecondFactor checks the MFA step of a standalone sign-in:
// a TOTP code or a backup code, a wrong code keeps the step, and the
// pending login never appears in a URL.
func TestUILoginSecondFactor(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	email := "mfa-ui-" + strings.TrimPrefix(randomName(), "t_") + "@example.com"
	d := s.register(t, email)
	secret, backup := s.enableTOTP(t, d.Token)

	start := func(t *testing.T) (*uiClient, page) {
		u := newUIClient(t, s)
		u.get("/login?next=/account/security")
		p := u.postNoFollow("/login", url.Values{"email": {email}, "password": {pw}, "next": {"/account/security"}})
		if p.status != http.StatusOK || hiddenPendingToken.FindStringSubmatch(p.body) == nil {
			t.Fatalf("after the password: %d\n%s", p.status, p.body)
		}
		p.mustContain(t, `action="/login/mfa"`, `name="code"`, `name="next" value="/account/security"`, "Two-factor authentication")
		p.mustNotContain(t, `name="id"`)
		if q := u.getNoFollow("/account"); q.status != http.StatusSeeOther || !strings.HasPrefix(q.location, "/login") {
			t.Fatalf("the pending login grants access: %d %q", q.status, q.location)
		}
		return u, p
	}

	t.Run("totp", func(t *testing.T) {
		u, p := start(t)
		pending := hiddenPendingToken.FindStringSubmatch(p.body)[1]
		bad := u.postNoFollow("/login/mfa", url.Values{"pending_token": {pending}, "code": {"000000"}, "next": {"/account/security"}})
		if bad.status != http.StatusUnauthorized {
			t.Fatalf("wrong code: %d", bad.status)
		}
		bad.mustContain(t, "That did not work", `name="pending_token" value="`+pending+`"`)
		// The next time step: the enrolment used the current one (replay).
		code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		ok := u.postNoFollow("/login/mfa", url.Values{"pending_token": {pending}, "code": {code}, "next": {"/account/security"}})
		if ok.status != http.StatusSeeOther || ok.location != "/account/security" {
			t.Fatalf("right code: %d %q\n%s", ok.status, ok.location, ok.body)
		}
		if q := u.getNoFollow("/login"); q.status != http.StatusSeeOther {
			t.Fatalf("no session after the second factor: %d", q.status)
		}
		// The pending login is used up.
		again := u.postNoFollow("/login/mfa", url.Values{"pending_token": {pending}, "code": {code}, "next": {"/account/security"}})
		if again.status != http.StatusUnauthorized {
			t.Fatalf("reused pending login: %d", again.status)
		}
		again.mustContain(t, "The sign-in expired", `name="password"`)
	})

	t.Run("backup code", func(t *testing.T) {
		u, p := start(t)
		pending := hiddenPendingToken.FindStringSubmatch(p.body)[1]
		ok := u.postNoFollow("/login/mfa", url.Values{"pending_token": {pending}, "code": {backup[0]}, "is_backup_code": {"1"},
			"next": {"/account/security"}})
		if ok.status != http.StatusSeeOther || ok.location != "/account/security" {
			t.Fatalf("backup code: %d %q\n%s", ok.status, ok.location, ok.body)
		}
	})

	t.Run("a forged token on the second step is refused", func(t *testing.T) {
		u, p := start(t)
		pending := hiddenPendingToken.FindStringSubmatch(p.body)[1]
		code, _ := totp.GenerateCode(secret, time.Now().Add(-30*time.Second))
		if q := u.postNoFollow("/login/mfa", url.Values{"pending_token": {pending}, "code": {code}, "csrf_token": {"forged"}}); q.status != http.StatusForbidden {
			t.Fatalf("forged token: %d", q.status)
		}
	})

	t.Run("GET of the step starts over", func(t *testing.T) {
		u := newUIClient(t, s)
		if p := u.getNoFollow("/login/mfa?next=/account"); p.status != http.StatusSeeOther || p.location != "/login?next=%2Faccount" {
			t.Fatalf("GET /login/mfa: %d %q", p.status, p.location)
		}
	})
}

// TestUILoginComplianceOnly: a sign-in whose organization requires a second
// factor the user lacks continues to the security page's enrolment with a
// way back.
func TestUILoginComplianceOnly(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	owner := s.register(t, "co-ui-"+strings.TrimPrefix(randomName(), "t_")+"@example.com")
	orgID := s.createOrg(t, owner.Token, "Strict UI", "strict-ui-"+strings.TrimPrefix(randomName(), "t_"))
	s.setMFAPolicy(t, owner.Token, orgID, "require_totp", 0)
	u := newUIClient(t, s)
	u.get("/login?next=/account/profile")
	p := u.postNoFollow("/login", url.Values{"email": {owner.User.Email}, "password": {pw}, "next": {"/account/profile"}})
	if p.status != http.StatusSeeOther || p.location != "/account/security?continue=%2Faccount%2Fprofile" {
		t.Fatalf("compliance-only sign-in: %d %q", p.status, p.location)
	}
	// The restricted session does not count as signed in for /login.
	if q := u.getNoFollow("/login"); q.status != http.StatusOK {
		t.Fatalf("GET /login with a compliance-only session: %d", q.status)
	}
}

// TestUILoginOIDC checks the sign-in page of an OIDC request: the client
// and its organization's branding, login_hint, ui_locales, a wrong
// password, and the same handlers under /login?id=.
func TestUILoginOIDC(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	acme, err := s.app.Store().OrgBySlug(t.Context(), "acme-corp")
	if err != nil {
		t.Fatal(err)
	}
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+acme.ID, owner, map[string]any{"logo_url": "https://cdn.acme.example/logo.png"}), 200, "")
	r := newRP(t, s)
	authURL := func(opts ...oauth2.AuthCodeOption) string {
		return r.conf.AuthCodeURL("st-ui", append(opts, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))...)
	}
	open := func(t *testing.T, u *uiClient, au string) page {
		t.Helper()
		p, ext := u.follow(u.getNoFollow(au))
		if ext != nil || p.status != http.StatusOK {
			t.Fatalf("authorize: %d %v", p.status, ext)
		}
		return p
	}

	t.Run("the page names the client and shows its organization", func(t *testing.T) {
		u := newUIClient(t, s)
		p := open(t, u, authURL())
		p.mustContain(t, `action="/oidc/login"`, "Sign in to continue to Acme Internal Portal.", `class="org-name">Acme Corporation<`,
			`src="https://cdn.acme.example/logo.png"`, "Secured by Secuird", `href="/register?id=`)
		id := hiddenID.FindStringSubmatch(p.body)[1]
		bad := u.postNoFollow("/oidc/login", url.Values{"id": {id}, "email": {bobEmail}, "password": {"nope"}})
		if bad.status != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", bad.status)
		}
		bad.mustContain(t, "Invalid email or password.", `name="id" value="`+id+`"`, `class="org-name">Acme Corporation<`)
		// The shared handler under /login?id= serves the same request.
		ok, ext := u.follow(u.postNoFollow("/login", url.Values{"id": {id}, "email": {bobEmail}, "password": {bobPassword}}))
		if ext == nil || ext.Query().Get("code") == "" || ext.Query().Get("state") != "st-ui" {
			t.Fatalf("sign-in through /login?id=: %d %v\n%.400s", ok.status, ext, ok.body)
		}
	})

	t.Run("login_hint fills the email in", func(t *testing.T) {
		u := newUIClient(t, s)
		open(t, u, authURL(oauth2.SetAuthURLParam("login_hint", bobEmail))).mustContain(t, `value="`+bobEmail+`"`)
	})

	t.Run("ui_locales=de speaks German, over Accept-Language", func(t *testing.T) {
		u := newUIClient(t, s)
		u.lang = "en"
		p := open(t, u, authURL(oauth2.SetAuthURLParam("ui_locales", "de-CH en")))
		p.mustContain(t, `lang="de"`, "Melden Sie sich an, um zu Acme Internal Portal zu gelangen.", "Passwort")
		id := hiddenID.FindStringSubmatch(p.body)[1]
		// Errors of the request stay German too.
		u.postNoFollow("/oidc/login", url.Values{"id": {id}, "email": {bobEmail}, "password": {"nope"}}).
			mustContain(t, "E-Mail-Adresse oder Passwort ist falsch.")
	})

	t.Run("an unknown request is a not-found page", func(t *testing.T) {
		u := newUIClient(t, s)
		p := u.getNoFollow("/oidc/login?id=00000000-0000-0000-0000-000000000000")
		if p.status != http.StatusNotFound {
			t.Fatalf("unknown request: %d", p.status)
		}
		p.mustContain(t, "unknown or has expired")
	})

	t.Run("the TOTP step of an OIDC request keeps the request", func(t *testing.T) {
		tok := s.loginAPI(t, "eve@acme-corp.com", "UserPass123!")
		secret, _ := s.enableTOTP(t, tok)
		u := newUIClient(t, s)
		u.lang = "de"
		p := open(t, u, authURL(oauth2.SetAuthURLParam("ui_locales", "en")))
		id := hiddenID.FindStringSubmatch(p.body)[1]
		m := u.postNoFollow("/oidc/login", url.Values{"id": {id}, "email": {"eve@acme-corp.com"}, "password": {"UserPass123!"}})
		m.mustContain(t, `action="/oidc/mfa"`, `lang="en"`, "Confirm it is you to continue to Acme Internal Portal.")
		code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
		done, ext := u.follow(u.postNoFollow("/oidc/mfa", url.Values{"id": {id}, "pending_token": {hiddenPendingToken.FindStringSubmatch(m.body)[1]},
			"code": {code}}))
		if ext == nil || ext.Query().Get("code") == "" {
			t.Fatalf("after the code: %d\n%.400s", done.status, done.body)
		}
	})
}

// TestUILoginIDTokenAfterPasswordSignIn: a standalone sign-in is an SSO
// session the provider accepts (no second login for the RP).
func TestUILoginIDTokenAfterPasswordSignIn(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	u := newUIClient(t, s)
	u.get("/login")
	if p := u.postNoFollow("/login", url.Values{"email": {bobEmail}, "password": {bobPassword}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", p.status)
	}
	r := newRP(t, s)
	verifier := oauth2.GenerateVerifier()
	_, ext := u.follow(u.getNoFollow(r.conf.AuthCodeURL("st-sso", oauth2.S256ChallengeOption(verifier))))
	if ext == nil {
		t.Fatal("the SSO session was not used")
	}
	cl := r.exchangeClaims(t, ext.Query().Get("code"), verifier)
	if strings.Join(cl.AMR, " ") != "pwd" {
		t.Fatalf("amr %v", cl.AMR)
	}
}

// TestUILoginRateLimit: the sign-in form shares the REST login's per-IP
// counter, and a refusal is the 429 page (not JSON).
func TestUILoginRateLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) {
		c.RateLimit.Enabled = true
		c.RateLimit.Login = "3/min"
	})
	u := newUIClient(t, s)
	u.get("/login")
	// One REST attempt and two page attempts use up the counter.
	s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "x@example.com", "password": "wrong-password-1"})
	for i := 0; i < 2; i++ {
		if p := u.postNoFollow("/login", url.Values{"email": {"x@example.com"}, "password": {"wrong-password-1"}}); p.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, p.status)
		}
	}
	p := u.postNoFollow("/login", url.Values{"email": {"x@example.com"}, "password": {"wrong-password-1"}})
	if p.status != http.StatusTooManyRequests {
		t.Fatalf("over the limit: %d", p.status)
	}
	p.mustContain(t, "<html", "Too many attempts")
}
