package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

var hiddenPending = regexp.MustCompile(`name="pending_token" value="([^"]+)"`)

// TestOIDCHostedLoginSecondFactor checks that the hosted login asks a user
// with TOTP for a code after the password, sets no SSO cookie and answers
// prompt=none with login_required until then, and puts the factors
// actually used into amr and acr.
func TestOIDCHostedLoginSecondFactor(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	_, backups := s.enableTOTP(t, s.loginAPI(t, bobEmail, bobPassword))
	r := newRP(t, s)
	verifier := oauth2.GenerateVerifier()
	res, body := r.login(r.conf.AuthCodeURL("st-mfa", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-mfa")), bobEmail, bobPassword)
	pending, id, csrf := hiddenPending.FindStringSubmatch(body), hiddenID.FindStringSubmatch(body), hiddenCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || pending == nil || id == nil || csrf == nil {
		t.Fatalf("after the password: status %d, want the code form; body %.400s", res.StatusCode, body)
	}
	su, _ := url.Parse(s.url)
	for _, c := range r.browser.Jar.Cookies(su) {
		if strings.Contains(c.Name, "secuird_session") {
			t.Fatalf("SSO cookie set for a pending login")
		}
	}
	// prompt=none with only a pending login: not signed in.
	res2, body2 := r.get(r.conf.AuthCodeURL("st-none", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("prompt", "none")))
	if q := redirectTo(t, res2, body2).Query(); q.Get("error") != "login_required" {
		t.Fatalf("prompt=none after the password only: %v", q)
	}
	post := func(code string) (reply, string) {
		resp, err := r.browser.PostForm(s.url+"/oidc/mfa", url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "pending_token": {pending[1]},
			"code": {code}, "is_backup_code": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return reply{resp.StatusCode, resp.Header}, string(b)
	}
	if res, _ := post("AAAAAAAAAAAAAAAA"); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong code: status %d", res.StatusCode)
	}
	res, body = post(backups[0])
	q := redirectTo(t, res, body).Query()
	if q.Get("code") == "" || q.Get("state") != "st-mfa" {
		t.Fatalf("after the code: %v", q)
	}
	cl := r.exchangeClaims(t, q.Get("code"), verifier)
	if strings.Join(cl.AMR, " ") != "pwd otp mfa" || cl.ACR != "2" {
		t.Fatalf("amr %v acr %q, want pwd otp mfa and 2", cl.AMR, cl.ACR)
	}
}

// TestOIDCHostedLoginPasskey checks the hosted passkey step: a user whose
// only second factor is a passkey gets the passkey button (no code form),
// and the assertion posted by the page's script completes the request
// with amr pwd, hwk, mfa.
func TestOIDCHostedLoginPasskey(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	tok := s.loginAPI(t, bobEmail, bobPassword)
	r := s.call(t, "GET", "/api/v1/auth/me", tok, nil)
	var me struct {
		ID string `json:"id"`
	}
	r.data(t, &me)
	pc := s.addPasskey(t, tok, me.ID)
	rp := newRP(t, s)
	verifier := oauth2.GenerateVerifier()
	res, body := rp.login(rp.conf.AuthCodeURL("st-pk", oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-pk")), bobEmail, bobPassword)
	pending, id, csrf := hiddenPending.FindStringSubmatch(body), hiddenID.FindStringSubmatch(body), hiddenCSRF.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || pending == nil || id == nil || csrf == nil || !strings.Contains(body, "data-passkey-begin") ||
		strings.Contains(body, `name="code"`) || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("after the password: status %d, want the passkey form; body %.600s", res.StatusCode, body)
	}
	if js, _ := rp.get(s.url + "/static/js/passkey.js"); js.StatusCode != http.StatusOK {
		t.Fatalf("passkey.js: %d", js.StatusCode)
	}
	h, cred := pc.assert(t, s, map[string]any{"pending_token": pending[1]})
	post, err := rp.browser.PostForm(s.url+"/oidc/mfa/passkey", url.Values{"id": {id[1]}, "csrf_token": {csrf[1]},
		"pending_token": {pending[1]}, "session_token": {h}, "credential": {string(cred)}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(post.Body)
	_ = post.Body.Close()
	q := redirectTo(t, reply{post.StatusCode, post.Header}, string(b)).Query()
	cl := rp.exchangeClaims(t, q.Get("code"), verifier)
	if strings.Join(cl.AMR, " ") != "pwd hwk mfa" {
		t.Fatalf("amr %v, want pwd hwk mfa", cl.AMR)
	}
}
