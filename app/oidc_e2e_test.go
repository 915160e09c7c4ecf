package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/secuird/secuird/app"
)

const (
	portalID       = "acme-portal-001"
	portalSecret   = "acme_secret_portal_2024"
	portalRedirect = "http://localhost:3000/auth/callback"
	bobEmail       = "bob@acme-corp.com"
	bobPassword    = "UserPass123!"
)

// rp is an independent relying party (coreos/go-oidc + x/oauth2) against a
// running server, with a browser-like HTTP client that stops at the RP's
// redirect URI.
type rp struct {
	t        *testing.T
	s        *server
	provider *gooidc.Provider
	conf     oauth2.Config
	browser  *http.Client
}

func newRP(t *testing.T, s *server) *rp {
	t.Helper()
	ctx := context.Background()
	p, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	jar, _ := cookiejar.New(nil)
	return &rp{t: t, s: s, provider: p, browser: newBrowser(jar),
		conf: oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, Endpoint: p.Endpoint(), RedirectURL: portalRedirect,
			Scopes: []string{gooidc.ScopeOpenID, "profile", "email", gooidc.ScopeOfflineAccess}}}
}

// newBrowser follows redirects on the server but not to the RP.
// with returns r reporting to t (for subtests).
func (r *rp) with(t *testing.T) *rp {
	c := *r
	c.t = t
	return &c
}

func newBrowser(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Hostname() == "localhost" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

var (
	hiddenID   = regexp.MustCompile(`name="id" value="([^"]+)"`)
	hiddenCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
)

// reply is a response whose body was read and closed.
type reply struct {
	StatusCode int
	Header     http.Header
}

func (r *rp) get(u string) (reply, string) {
	r.t.Helper()
	res, err := r.browser.Get(u)
	if err != nil {
		r.t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header}, string(b)
}

// login drives the hosted login form and returns the final redirect to
// the RP (or the last page).
func (r *rp) login(authURL, email, password string) (reply, string) {
	r.t.Helper()
	res, body := r.get(authURL)
	if res.StatusCode == http.StatusFound {
		return res, body // the SSO session answered at once
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		r.t.Fatalf("authorize: status %d, want the login form; body %.300s", res.StatusCode, body)
	}
	id, csrf := hiddenID.FindStringSubmatch(body), hiddenCSRF.FindStringSubmatch(body)
	if id == nil || csrf == nil {
		r.t.Fatalf("login form without id or csrf token: %.500s", body)
	}
	post, err := r.browser.PostForm(r.s.url+"/oidc/login", url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "email": {email}, "password": {password}})
	if err != nil {
		r.t.Fatalf("POST login: %v", err)
	}
	defer post.Body.Close()
	b, _ := io.ReadAll(post.Body)
	return reply{post.StatusCode, post.Header}, string(b)
}

// codeFlow runs code+PKCE through the hosted login and returns the tokens.
func (r *rp) codeFlow(t *testing.T) (*oauth2.Token, *gooidc.IDToken, string) {
	t.Helper()
	r = r.with(t)
	verifier := oauth2.GenerateVerifier()
	authURL := r.conf.AuthCodeURL("st-123", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-456"))
	res, body := r.with(t).login(authURL, bobEmail, bobPassword)
	loc := redirectTo(r.t, res, body)
	q := loc.Query()
	if q.Get("state") != "st-123" || q.Get("iss") != r.s.url || q.Get("code") == "" {
		r.t.Fatalf("authorization response %s: want code, state and iss=%s", loc, r.s.url)
	}
	tok, err := r.conf.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		r.t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&gooidc.Config{ClientID: portalID}).Verify(context.Background(), raw)
	if err != nil {
		r.t.Fatalf("verify id token: %v", err)
	}
	return tok, idt, q.Get("code")
}

// concurrentWins makes n calls of try at once and counts those answered
// 200 OK (try returns the status).
func concurrentWins(n int, try func() int) int {
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range n {
		wg.Go(func() {
			status := try()
			mu.Lock()
			defer mu.Unlock()
			if status == http.StatusOK {
				wins++
			}
		})
	}
	wg.Wait()
	return wins
}

func redirectTo(t *testing.T, res reply, body string) *url.URL {
	t.Helper()
	if res.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want a redirect to the RP; body %.400s", res.StatusCode, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// startOIDC starts a server with the seed data.
func startOIDC(t *testing.T, configure func(*app.Config)) *server {
	t.Helper()
	s := startServer(t, func(c *app.Config) {
		// No grace window, so reuse of a rotated refresh token is
		// detected at once.
		c.OIDCRefreshGrace = time.Nanosecond
		if configure != nil {
			configure(c)
		}
	})
	if err := s.app.Seed(context.Background(), io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return s
}

// postForm sends a form with HTTP basic client authentication.
func postForm(t *testing.T, u, user, pass string, form url.Values) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m, res.Header
}

// joseType returns the "typ" of a compact JWS's protected header.
func joseType(t *testing.T, jws string) string {
	t.Helper()
	header, _, _ := strings.Cut(jws, ".")
	b, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil {
		t.Fatalf("JOSE header: %v", err)
	}
	var h struct {
		Typ string `json:"typ"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("JOSE header: %v", err)
	}
	return h.Typ
}

func TestOIDCEndToEnd(t *testing.T) {
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startOIDC(t, configure)
		r := newRP(t, s)
		ctx := context.Background()

		tok, idt, code := r.codeFlow(t)
		var claims struct {
			Email    string   `json:"email"`
			Verified bool     `json:"email_verified"`
			Name     string   `json:"name"`
			AuthTime int64    `json:"auth_time"`
			SID      string   `json:"sid"`
			AMR      []string `json:"amr"`
			AtHash   string   `json:"at_hash"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Nonce != "n-456" || claims.Email != bobEmail || !claims.Verified || claims.Name != "Bob Builder" ||
			claims.AuthTime == 0 || claims.SID == "" || claims.AtHash == "" || len(claims.AMR) == 0 {
			t.Errorf("id token claims %+v nonce %q", claims, idt.Nonce)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token with offline_access")
		}

		t.Run("userinfo answers with the user's claims", func(t *testing.T) {
			ui, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			if ui.Subject != idt.Subject || ui.Email != bobEmail {
				t.Errorf("userinfo %+v", ui)
			}
		})

		t.Run("the JWT access token carries scope and verifies with the JWKS", func(t *testing.T) {
			at, err := r.provider.VerifierContext(ctx, &gooidc.Config{SkipClientIDCheck: true}).Verify(ctx, tok.AccessToken)
			if err != nil {
				t.Fatalf("verify access token: %v", err)
			}
			var c struct {
				Scope    string `json:"scope"`
				ClientID string `json:"client_id"`
			}
			_ = at.Claims(&c)
			if !strings.Contains(c.Scope, "openid") || c.ClientID != portalID {
				t.Errorf("access token claims %+v", c)
			}
		})

		t.Run("the access token is typed at+jwt (RFC 9068), the ID token is not", func(t *testing.T) {
			idToken, _ := tok.Extra("id_token").(string)
			if typ := joseType(t, tok.AccessToken); typ != "at+jwt" {
				t.Errorf("access token typ %q", typ)
			}
			if typ := joseType(t, idToken); typ != "JWT" {
				t.Errorf("ID token typ %q", typ)
			}
		})

		t.Run("a second redemption of the code fails and revokes what the first issued", func(t *testing.T) {
			status, body, _ := postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {portalRedirect}, "code_verifier": {"x"}})
			if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Fatalf("reused code: %d %v", status, body)
			}
			status, body, _ = postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
			if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Errorf("refresh after code reuse: %d %v", status, body)
			}
			if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
				t.Error("userinfo accepted an access token of a revoked family")
			}
		})

		t.Run("refresh rotates, narrows scope and detects reuse", func(t *testing.T) {
			tok, _, _ := r.codeFlow(t)
			status, body, _ := postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "scope": {"openid offline_access"}})
			if status != http.StatusOK || body["refresh_token"] == nil || body["refresh_token"] == tok.RefreshToken {
				t.Fatalf("refresh: %d %v", status, body)
			}
			if body["scope"] != "openid offline_access" {
				t.Errorf("narrowed scope = %v", body["scope"])
			}
			next, _ := body["refresh_token"].(string)
			status, body, _ = postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {next}, "scope": {"openid profile"}})
			if status != http.StatusBadRequest {
				t.Errorf("widening refresh: %d %v", status, body)
			}
			// Reuse of the first token (the grace window is off in tests) revokes the family.
			status, _, _ = postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
			if status != http.StatusBadRequest {
				t.Errorf("reused refresh token: %d", status)
			}
			status, body, _ = postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {next}})
			if status != http.StatusBadRequest {
				t.Errorf("family member after reuse: %d %v", status, body)
			}
		})

		t.Run("of parallel refreshes of one token exactly one wins", func(t *testing.T) {
			tok, _, _ := r.codeFlow(t)
			wins := concurrentWins(6, func() int {
				status, _, _ := postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
					"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
				return status
			})
			if wins != 1 {
				t.Errorf("%d refreshes won, want 1", wins)
			}
		})

		t.Run("a refresh token of another client is refused", func(t *testing.T) {
			tok, _, _ := r.codeFlow(t)
			status, body, _ := postForm(t, s.url+"/oidc/token", "data-api-001", "data_secret_api_2024", url.Values{
				"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
			if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
				t.Errorf("cross-client refresh: %d %v", status, body)
			}
		})

		t.Run("introspection and revocation", func(t *testing.T) {
			tok, _, _ := r.codeFlow(t)
			_, body, _ := postForm(t, s.url+"/oidc/introspect", portalID, portalSecret, url.Values{"token": {tok.AccessToken}})
			scope, _ := body["scope"].(string)
			if body["active"] != true || body["client_id"] != portalID || !strings.Contains(scope, "openid") {
				t.Fatalf("introspect: %v", body)
			}
			status, _, _ := postForm(t, s.url+"/oidc/revoke", portalID, portalSecret, url.Values{"token": {tok.AccessToken}})
			if status != http.StatusOK {
				t.Fatalf("revoke: %d", status)
			}
			_, body, _ = postForm(t, s.url+"/oidc/introspect", portalID, portalSecret, url.Values{"token": {tok.AccessToken}})
			if body["active"] != false {
				t.Errorf("introspect after revoke: %v", body)
			}
			if _, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
				t.Error("userinfo accepted a revoked access token")
			}
			_, body, _ = postForm(t, s.url+"/oidc/introspect", portalID, portalSecret, url.Values{"token": {tok.RefreshToken}})
			if body["active"] != true || body["token_type"] != "refresh_token" || body["client_id"] != portalID || body["sub"] == nil {
				t.Errorf("refresh token introspection: %v", body)
			}
			_, body, _ = postForm(t, s.url+"/oidc/introspect", "data-api-001", "data_secret_api_2024", url.Values{"token": {tok.RefreshToken}})
			if body["active"] != false {
				t.Errorf("another client introspected the refresh token: %v", body)
			}
			status, _, _ = postForm(t, s.url+"/oidc/revoke", portalID, portalSecret, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}})
			if status != http.StatusOK {
				t.Fatalf("revoke refresh: %d", status)
			}
			status, _, _ = postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
			if status != http.StatusBadRequest {
				t.Errorf("refresh after revocation: %d", status)
			}
			if _, body, _ = postForm(t, s.url+"/oidc/introspect", portalID, portalSecret, url.Values{"token": {tok.RefreshToken}}); body["active"] != false {
				t.Errorf("revoked refresh token introspection: %v", body)
			}
		})

		t.Run("client_credentials", func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: "data-api-001", ClientSecret: "data_secret_api_2024", TokenURL: s.url + "/oidc/token", Scopes: []string{"api:read"}}
			tok, err := cc.Token(ctx)
			if err != nil {
				t.Fatalf("client_credentials: %v", err)
			}
			_, body, _ := postForm(t, s.url+"/oidc/introspect", "data-api-001", "data_secret_api_2024", url.Values{"token": {tok.AccessToken}})
			if body["active"] != true || body["scope"] != "api:read" || body["sub"] != "data-api-001" {
				t.Errorf("introspect: %v", body)
			}
			bad := clientcredentials.Config{ClientID: "data-api-001", ClientSecret: "wrong", TokenURL: s.url + "/oidc/token"}
			if _, err := bad.Token(ctx); err == nil {
				t.Error("a wrong secret got a token")
			}
			portal := clientcredentials.Config{ClientID: portalID, ClientSecret: portalSecret, TokenURL: s.url + "/oidc/token"}
			if _, err := portal.Token(ctx); err == nil {
				t.Error("a client without the grant got a token")
			}
		})

		t.Run("prompt=none with the SSO session finishes without a page", func(t *testing.T) {
			verifier := oauth2.GenerateVerifier()
			res, body := r.with(t).get(r.conf.AuthCodeURL("st-sso", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
			loc := redirectTo(t, res, body)
			if loc.Query().Get("code") == "" || loc.Query().Get("state") != "st-sso" {
				t.Errorf("silent authorization: %s", loc)
			}
		})

		t.Run("prompt=none without a session answers login_required", func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			fresh := &rp{t: t, s: s, provider: r.provider, conf: r.conf, browser: newBrowser(jar)}
			res, body := fresh.get(r.conf.AuthCodeURL("st-none", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
			loc := redirectTo(t, res, body)
			q := loc.Query()
			if q.Get("error") != "login_required" || q.Get("state") != "st-none" || q.Get("iss") != s.url {
				t.Errorf("prompt=none: %s", loc)
			}
		})

		t.Run("end session refuses unregistered redirects and asks before logging out", func(t *testing.T) {
			r := r.with(t)
			tok, _, _ := r.codeFlow(t)
			res, _ := r.get(s.url + "/oidc/end_session?client_id=" + portalID + "&post_logout_redirect_uri=" + url.QueryEscape("https://evil.example/"))
			if res.StatusCode < 400 || res.Header.Get("Location") != "" {
				t.Fatalf("unregistered post-logout URI: status %d location %q", res.StatusCode, res.Header.Get("Location"))
			}
			// A bare GET (what a cross-site page can trigger) shows the
			// confirmation page and logs nobody out.
			res, body := r.get(s.url + "/oidc/end_session?client_id=" + portalID + "&state=bye&post_logout_redirect_uri=" + url.QueryEscape("http://localhost:3000/"))
			csrf := hiddenCSRF.FindStringSubmatch(body)
			if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/oidc/logout"`) || csrf == nil {
				t.Fatalf("bare end_session: status %d, want the confirmation page; body %.300s", res.StatusCode, body)
			}
			res, body = r.get(r.conf.AuthCodeURL("st-still", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
			if loc := redirectTo(t, res, body); loc.Query().Get("code") == "" {
				t.Fatalf("the session ended without confirmation: %s", loc)
			}
			form := url.Values{"client_id": {portalID}, "post_logout_redirect_uri": {"http://localhost:3000/"}, "state": {"bye"}, "action": {"logout"}}
			post := func(f url.Values) (reply, string) {
				res, err := r.browser.PostForm(s.url+"/oidc/logout", f)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return reply{res.StatusCode, res.Header}, string(b)
			}
			if res, _ := post(form); res.StatusCode != http.StatusForbidden {
				t.Fatalf("confirmation without the CSRF token: status %d", res.StatusCode)
			}
			form.Set("csrf_token", csrf[1])
			res, body = post(form)
			if loc := redirectTo(t, res, body); loc.String() != "http://localhost:3000/?state=bye" {
				t.Errorf("post-logout redirect %s", loc)
			}
			res, body = r.get(r.conf.AuthCodeURL("st-after", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
			if loc := redirectTo(t, res, body); loc.Query().Get("error") != "login_required" {
				t.Errorf("after logout, prompt=none gave %s", loc)
			}
			status, _, _ := postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
			if status != http.StatusBadRequest {
				t.Errorf("refresh after logout: %d", status)
			}
		})

		t.Run("end session with an id_token_hint of the current session logs out at once", func(t *testing.T) {
			r := r.with(t)
			tok, _, _ := r.codeFlow(t)
			hint, _ := tok.Extra("id_token").(string)
			res, body := r.get(s.url + "/oidc/end_session?id_token_hint=" + url.QueryEscape(hint) + "&post_logout_redirect_uri=" + url.QueryEscape("http://localhost:3000/"))
			if loc := redirectTo(t, res, body); loc.String() != "http://localhost:3000/" {
				t.Errorf("post-logout redirect %s", loc)
			}
			res, body = r.get(r.conf.AuthCodeURL("st-gone", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
			if loc := redirectTo(t, res, body); loc.Query().Get("error") != "login_required" {
				t.Errorf("after logout, prompt=none gave %s", loc)
			}
			// The same hint, now for a session that is gone, in a new
			// session: the user is asked.
			r.login(r.conf.AuthCodeURL("st-new", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), bobEmail, bobPassword)
			res, body = r.get(s.url + "/oidc/end_session?id_token_hint=" + url.QueryEscape(hint))
			if res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/oidc/logout"`) {
				t.Errorf("hint of an older session: status %d, want the confirmation page", res.StatusCode)
			}
			res, _ = r.get(s.url + "/oidc/end_session?id_token_hint=" + url.QueryEscape(hint[:len(hint)-4]+"AAAA"))
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("tampered hint: status %d", res.StatusCode)
			}
		})
	})
}

func TestOIDCRejectsClassicAttacks(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	r := newRP(t, s)
	ctx := context.Background()
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	authorize := func(t *testing.T, params map[string]string) (reply, string) {
		q := url.Values{"client_id": {portalID}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s1"},
			"redirect_uri": {portalRedirect}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		for k, v := range params {
			if v == "-" {
				q.Del(k)
			} else {
				q.Set(k, v)
			}
		}
		return r.with(t).get(s.url + "/oidc/authorize?" + q.Encode())
	}

	for _, tc := range []struct{ name, uri string }{
		{"upper-case host", "http://LOCALHOST:3000/auth/callback"},
		{"trailing slash", portalRedirect + "/"},
		{"added query", portalRedirect + "?x=1"},
		{"userinfo @", "http://localhost:3000@evil.example/auth/callback"},
		{"encoded path", "http://localhost:3000/auth%2Fcallback"},
		{"path traversal", "http://localhost:3000/auth/callback/../../evil"},
		{"other host", "https://evil.example/auth/callback"},
		{"other port", "http://localhost:3001/auth/callback"},
	} {
		t.Run("redirect URI variant is shown an error page: "+tc.name, func(t *testing.T) {
			res, body := authorize(t, map[string]string{"redirect_uri": tc.uri})
			if res.StatusCode < 400 || res.Header.Get("Location") != "" {
				t.Fatalf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
			}
			if !strings.Contains(body, "<html") {
				t.Errorf("not the error page: %.200s", body)
			}
		})
	}
	t.Run("an unknown client is shown an error page", func(t *testing.T) {
		res, _ := authorize(t, map[string]string{"client_id": "nope"})
		if res.StatusCode < 400 || res.Header.Get("Location") != "" {
			t.Errorf("status %d location %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
	for _, tc := range []struct {
		name   string
		params map[string]string
	}{
		{"PKCE plain is refused", map[string]string{"code_challenge_method": "plain", "code_challenge": strings.Repeat("a", 43)}},
		{"a PKCE client without a challenge is refused", map[string]string{"code_challenge": "-", "code_challenge_method": "-"}},
		{"implicit flow is refused", map[string]string{"response_type": "id_token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := authorize(t, tc.params)
			loc := redirectTo(t, res, body)
			frag, _ := url.ParseQuery(loc.Fragment)
			if (loc.Query().Get("error") == "" && frag.Get("error") == "") || loc.Query().Get("code") != "" || frag.Get("code") != "" {
				t.Errorf("got %s", loc)
			}
		})
	}
	t.Run("a wrong verifier fails the exchange", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		res, body := r.with(t).login(r.conf.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier)), bobEmail, bobPassword)
		code := redirectTo(t, res, body).Query().Get("code")
		if _, err := r.conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
			t.Error("exchange with a wrong verifier succeeded")
		}
		if _, err := r.conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil {
			t.Error("the code still worked after a failed redemption")
		}
	})
	t.Run("a code is bound to its client", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		res, body := r.with(t).get(r.conf.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier)))
		code := redirectTo(t, res, body).Query().Get("code")
		status, out, _ := postForm(t, s.url+"/oidc/token", "data-api-001", "data_secret_api_2024", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {portalRedirect}, "code_verifier": {verifier}})
		if status == http.StatusOK {
			t.Errorf("another client redeemed the code: %v", out)
		}
	})
	t.Run("concurrent redemptions of one code: exactly one wins", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		res, body := r.with(t).get(r.conf.AuthCodeURL("s4", oauth2.S256ChallengeOption(verifier)))
		code := redirectTo(t, res, body).Query().Get("code")
		wins := concurrentWins(6, func() int {
			status, _, _ := postForm(t, s.url+"/oidc/token", portalID, portalSecret, url.Values{
				"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {portalRedirect}, "code_verifier": {verifier}})
			return status
		})
		if wins != 1 {
			t.Errorf("%d redemptions won, want 1", wins)
		}
	})
	t.Run("a confidential client without its secret is refused", func(t *testing.T) {
		status, body, _ := postForm(t, s.url+"/oidc/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {"data-api-001"}})
		if status == http.StatusOK {
			t.Errorf("no secret: %d %v", status, body)
		}
	})
	t.Run("tampered and alg:none tokens are refused at userinfo", func(t *testing.T) {
		tok, _, _ := r.codeFlow(t)
		parts := strings.Split(tok.AccessToken, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		_ = json.Unmarshal(payload, &claims)
		claims["sub"] = "someone-else"
		forged, _ := json.Marshal(claims)
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(forged) + "."
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
		for _, bad := range []string{none, tampered} {
			req, _ := http.NewRequest(http.MethodGet, s.url+"/oidc/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+bad)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode < 400 {
				t.Errorf("forged token accepted: %d", res.StatusCode)
			}
		}
	})
	t.Run("CORS is answered on token but never on authorize", func(t *testing.T) {
		for path, want := range map[string]bool{"/oidc/token": false, "/oidc/authorize": false} {
			req, _ := http.NewRequest(http.MethodOptions, s.url+path, nil)
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got := res.Header.Get("Access-Control-Allow-Origin") != ""; got != want {
				t.Errorf("%s: CORS allowed for an unlisted origin", path)
			}
		}
	})
	t.Run("discovery advertises the code flow, S256 and RFC 9207", func(t *testing.T) {
		res, body := r.with(t).get(s.url + "/.well-known/openid-configuration")
		var d map[string]any
		if err := json.Unmarshal([]byte(body), &d); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("discovery: %d %v", res.StatusCode, err)
		}
		if d["issuer"] != s.url || d["authorization_response_iss_parameter_supported"] != true {
			t.Errorf("discovery %v", d)
		}
		if rt, _ := json.Marshal(d["response_types_supported"]); string(rt) != `["code"]` {
			t.Errorf("response types %s", rt)
		}
		if m, _ := json.Marshal(d["code_challenge_methods_supported"]); string(m) != `["S256"]` {
			t.Errorf("PKCE methods %s", m)
		}
	})
}
