package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/descope/virtualwebauthn"
	"golang.org/x/oauth2"
)

// passkeyOptions posts to /login/passkey/begin with the browser's CSRF
// token and returns the status and the body.
func (u *uiClient) passkeyOptions(csrf string) (int, []byte) {
	u.t.Helper()
	return u.postRaw("/login/passkey/begin", url.Values{"csrf_token": {csrf}})
}

// passwordless answers the sign-in page's discoverable challenge with pc.
func (pc *passkeyClient) passwordless(t *testing.T, u *uiClient) (string, string) {
	t.Helper()
	status, body := u.passkeyOptions(u.csrf)
	if status != http.StatusOK {
		t.Fatalf("begin: %d %s", status, body)
	}
	var opts struct {
		SessionToken string `json:"session_token"`
		PublicKey    struct {
			AllowCredentials []any  `json:"allowCredentials"`
			UserVerification string `json:"userVerification"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &opts); err != nil || opts.SessionToken == "" || len(opts.PublicKey.AllowCredentials) != 0 ||
		opts.PublicKey.UserVerification != "required" {
		t.Fatalf("options: %s", body)
	}
	ao, err := virtualwebauthn.ParseAssertionOptions(string(body))
	if err != nil {
		t.Fatal(err)
	}
	pc.cred.Counter++
	return opts.SessionToken, virtualwebauthn.CreateAssertionResponse(pc.rp, pc.auth, pc.cred, *ao)
}

// TestUIPasskeySignIn checks the passwordless sign-in of the hosted
// pages with a software authenticator: discoverable options (no email,
// user verification required), the form post of the assertion with its
// CSRF token, the local continuation, and an OIDC request whose ID token
// says hwk and mfa.
func TestUIPasskeySignIn(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	tok := s.loginAPI(t, bobEmail, bobPassword)
	var me struct {
		ID string `json:"id"`
	}
	s.call(t, "GET", "/api/v1/auth/me", tok, nil).data(t, &me)
	pc := s.addPasskey(t, tok, me.ID)

	t.Run("local sign-in continues to next", func(t *testing.T) {
		u := newUIClient(t, s)
		u.get("/login?next=/account/security")
		h, cred := pc.passwordless(t, u)
		p := u.postNoFollow("/login/passkey", url.Values{"session_token": {h}, "credential": {cred}, "next": {"/account/security"}})
		if p.status != http.StatusSeeOther || p.location != "/account/security" {
			t.Fatalf("passkey sign-in: %d %q\n%.400s", p.status, p.location, p.body)
		}
		if q := u.getNoFollow("/login"); q.status != http.StatusSeeOther {
			t.Fatalf("no session: %d", q.status)
		}
	})

	t.Run("the options and the assertion need the page's CSRF token", func(t *testing.T) {
		u := newUIClient(t, s)
		u.get("/login")
		if status, _ := u.passkeyOptions("forged"); status != http.StatusForbidden {
			t.Fatalf("begin with a forged token: %d", status)
		}
		h, cred := pc.passwordless(t, u)
		if p := u.postNoFollow("/login/passkey", url.Values{"session_token": {h}, "credential": {cred}, "csrf_token": {"forged"}}); p.status != http.StatusForbidden {
			t.Fatalf("assertion with a forged token: %d", p.status)
		}
	})

	t.Run("a bad assertion shows the sign-in page again", func(t *testing.T) {
		u := newUIClient(t, s)
		u.get("/login")
		h, _ := pc.passwordless(t, u)
		p := u.postNoFollow("/login/passkey", url.Values{"session_token": {h}, "credential": {`{"id":"x"}`}})
		if p.status != http.StatusUnauthorized {
			t.Fatalf("bad assertion: %d", p.status)
		}
		p.mustContain(t, "The passkey was not accepted", `name="password"`)
	})

	t.Run("an OIDC request signed in with a passkey gets amr hwk mfa", func(t *testing.T) {
		r := newRP(t, s)
		verifier := oauth2.GenerateVerifier()
		u := newUIClient(t, s)
		login, _ := u.follow(u.getNoFollow(r.conf.AuthCodeURL("st-pk", oauth2.S256ChallengeOption(verifier))))
		id := hiddenID.FindStringSubmatch(login.body)
		if id == nil || !strings.Contains(login.body, `data-passkey-login="/login/passkey/begin"`) {
			t.Fatalf("login page: %d\n%.400s", login.status, login.body)
		}
		h, cred := pc.passwordless(t, u)
		_, ext := u.follow(u.postNoFollow("/login/passkey", url.Values{"id": {id[1]}, "session_token": {h}, "credential": {cred}}))
		if ext == nil || ext.Query().Get("code") == "" {
			t.Fatalf("no code: %v", ext)
		}
		cl := r.exchangeClaims(t, ext.Query().Get("code"), verifier)
		if got := strings.Join(cl.AMR, " "); got != "hwk mfa" && got != "swk mfa" {
			t.Fatalf("amr %v, want hwk or swk with mfa", cl.AMR)
		}
	})
}
