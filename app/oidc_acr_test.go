package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/app"
)

// acrClaims are the authentication claims of an ID token.
type acrClaims struct {
	AMR []string `json:"amr"`
	ACR string   `json:"acr"`
}

// redeem exchanges the code of an authorization response and returns the
// verified ID token's acr and amr.
func (r *rp) redeem(t *testing.T, res reply, body, state, verifier string) acrClaims {
	t.Helper()
	q := redirectTo(t, res, body).Query()
	if q.Get("code") == "" || q.Get("state") != state {
		t.Fatalf("authorization response %v: want a code and state %s", q, state)
	}
	return r.exchangeClaims(t, q.Get("code"), verifier)
}

// exchangeClaims exchanges an authorization code and returns the verified
// ID token's acr and amr.
func (r *rp) exchangeClaims(t *testing.T, code, verifier string) acrClaims {
	t.Helper()
	tok, err := r.conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := r.provider.Verifier(&gooidc.Config{ClientID: portalID}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("verify id token: %v", err)
	}
	var cl acrClaims
	if err := idt.Claims(&cl); err != nil {
		t.Fatal(err)
	}
	return cl
}

// TestOIDCStepUpWithACRValues checks, with an independent relying party,
// that acr_values=2 makes the provider ask a user whose SSO session used a
// password only to sign in again with the second factor (prompt=none
// answers login_required), that the ID token then carries acr 2 and amr
// otp + mfa, and that max_age=0 forces a new login; discovery advertises
// the acr values.
func TestOIDCStepUpWithACRValues(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		s := startOIDC(t, configure)
		r := newRP(t, s).with(t)
		var disc struct {
			ACRValues []string `json:"acr_values_supported"`
		}
		if err := r.provider.Claims(&disc); err != nil || strings.Join(disc.ACRValues, " ") != "1 2" {
			t.Fatalf("acr_values_supported %v (%v), want 1 2", disc.ACRValues, err)
		}
		authURL := func(state, verifier string, extra ...oauth2.AuthCodeOption) string {
			return r.conf.AuthCodeURL(state, append(extra, oauth2.S256ChallengeOption(verifier), gooidc.Nonce("n-"+state))...)
		}
		acr := func(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("acr_values", v) }
		none := oauth2.SetAuthURLParam("prompt", "none")

		// A password-only SSO session (Bob has no second factor yet).
		v := oauth2.GenerateVerifier()
		res, body := r.login(authURL("st-pwd", v), bobEmail, bobPassword)
		if cl := r.redeem(t, res, body, "st-pwd", v); cl.ACR != "1" || strings.Join(cl.AMR, " ") != "pwd" {
			t.Fatalf("password login: acr %q amr %v, want 1 and pwd", cl.ACR, cl.AMR)
		}
		// Bob then turns TOTP on over the REST API; the SSO session
		// stays as it was: without acr_values it is reused at once.
		_, backups := s.enableTOTP(t, s.loginAPI(t, bobEmail, bobPassword))
		v = oauth2.GenerateVerifier()
		res, body = r.get(authURL("st-sso", v, none))
		if cl := r.redeem(t, res, body, "st-sso", v); cl.ACR != "1" {
			t.Fatalf("SSO reuse: acr %q, want 1", cl.ACR)
		}

		// prompt=none asking for acr 2: the session is not good enough.
		res, body = r.get(authURL("st-none", oauth2.GenerateVerifier(), none, acr("2")))
		if q := redirectTo(t, res, body).Query(); q.Get("error") != "login_required" || q.Get("state") != "st-none" || q.Get("iss") != s.url {
			t.Fatalf("prompt=none with acr_values=2 on a password-only session: %v", q)
		}

		// acr_values=2: the login form again, then the second factor.
		v = oauth2.GenerateVerifier()
		res, body = r.login(authURL("st-mfa", v, acr("2")), bobEmail, bobPassword)
		pending, id, csrf := hiddenPending.FindStringSubmatch(body), hiddenID.FindStringSubmatch(body), hiddenCSRF.FindStringSubmatch(body)
		if res.StatusCode != http.StatusOK || pending == nil || id == nil || csrf == nil {
			t.Fatalf("after the password: status %d, want the code form; body %.400s", res.StatusCode, body)
		}
		post, err := r.browser.PostForm(s.url+"/oidc/mfa", url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "pending_token": {pending[1]},
			"code": {backups[0]}, "is_backup_code": {"1"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(post.Body)
		_ = post.Body.Close()
		cl := r.redeem(t, reply{post.StatusCode, post.Header}, string(b), "st-mfa", v)
		if cl.ACR != "2" || !slices.Contains(cl.AMR, "otp") || !slices.Contains(cl.AMR, "mfa") {
			t.Fatalf("after password and code: acr %q amr %v, want 2 with otp and mfa", cl.ACR, cl.AMR)
		}

		// The new SSO session has both factors: acr_values=2 with
		// prompt=none now succeeds at once.
		v = oauth2.GenerateVerifier()
		res, body = r.get(authURL("st-none2", v, none, acr("2")))
		if cl := r.redeem(t, res, body, "st-none2", v); cl.ACR != "2" {
			t.Fatalf("SSO after the second factor: acr %q, want 2", cl.ACR)
		}

		// max_age=0 asks for a login newer than any earlier one.
		res, body = r.get(authURL("st-age", oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("max_age", "0")))
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
			t.Fatalf("max_age=0: status %d, want the login form; body %.300s", res.StatusCode, body)
		}
		res, body = r.get(authURL("st-age-none", oauth2.GenerateVerifier(), none, oauth2.SetAuthURLParam("max_age", "0")))
		if q := redirectTo(t, res, body).Query(); q.Get("error") != "login_required" {
			t.Fatalf("max_age=0 with prompt=none: %v", q)
		}
	})
}

// TestOIDCStepUpWithoutSecondFactor checks the voluntary side of
// acr_values: a user with no second factor who is asked for acr 2 signs in
// again and gets tokens with the acr the login reached (1), rather than
// being sent round in circles.
func TestOIDCStepUpWithoutSecondFactor(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	r := newRP(t, s).with(t)
	v := oauth2.GenerateVerifier()
	res, body := r.login(r.conf.AuthCodeURL("st-1", oauth2.S256ChallengeOption(v)), bobEmail, bobPassword)
	r.redeem(t, res, body, "st-1", v)
	v = oauth2.GenerateVerifier()
	u := r.conf.AuthCodeURL("st-2", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("acr_values", "2"))
	if res, body := r.get(u); res.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		t.Fatalf("acr_values=2 on a password-only session: status %d, want the login form", res.StatusCode)
	}
	res, body = r.login(u, bobEmail, bobPassword)
	if cl := r.redeem(t, res, body, "st-2", v); cl.ACR != "1" || strings.Join(cl.AMR, " ") != "pwd" {
		t.Fatalf("acr %q amr %v, want 1 and pwd", cl.ACR, cl.AMR)
	}
}
