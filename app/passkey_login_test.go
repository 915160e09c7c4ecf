package app_test

import (
	"encoding/json"
	"testing"

	"github.com/descope/virtualwebauthn"

	"github.com/secuird/secuird/adapters/passkey/passkeytest"
)

// passkeyClient is a software authenticator driving the REST ceremonies.
type passkeyClient struct {
	rp   virtualwebauthn.RelyingParty
	auth virtualwebauthn.Authenticator
	cred virtualwebauthn.Credential
}

// addPasskey registers a passkey for the session's user.
func (s *server) addPasskey(t *testing.T, token, userID string) *passkeyClient {
	t.Helper()
	pc := &passkeyClient{rp: virtualwebauthn.RelyingParty{ID: "localhost", Name: "Secuird", Origin: s.url},
		auth: virtualwebauthn.NewAuthenticatorWithOptions(virtualwebauthn.AuthenticatorOptions{UserHandle: []byte(userID)})}
	r := s.call(t, "POST", "/api/v1/auth/webauthn/register/begin", token, nil)
	if r.status != 200 {
		t.Fatalf("register/begin: %d %s", r.status, r.raw)
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	pc.cred = passkeytest.NewEC2Credential(t)
	resp := virtualwebauthn.CreateAttestationResponse(pc.rp, pc.auth, pc.cred, *opts)
	expect(t, s.call(t, "POST", "/api/v1/auth/webauthn/register/complete", token, map[string]any{
		"session_token": r.header.Get("X-WebAuthn-Session-Token"), "credential": json.RawMessage(resp)}), 201, "")
	pc.auth.AddCredential(pc.cred)
	return pc
}

// assert runs begin with body and answers the challenge; it returns the
// ceremony handle and the assertion.
func (pc *passkeyClient) assert(t *testing.T, s *server, body map[string]any) (string, json.RawMessage) {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/auth/webauthn/login/begin", "", body)
	if r.status != 200 {
		t.Fatalf("login/begin: %d %s", r.status, r.raw)
	}
	opts, err := virtualwebauthn.ParseAssertionOptions(string(r.raw))
	if err != nil {
		t.Fatal(err)
	}
	pc.cred.Counter++
	return r.header.Get("X-WebAuthn-Session-Token"), json.RawMessage(virtualwebauthn.CreateAssertionResponse(pc.rp, pc.auth, pc.cred, *opts))
}

// TestPasskeyLogin checks the passkey paths of the login state machine:
// a password then a passkey (which has priority over TOTP), a
// passwordless login by email, and that a second-factor ceremony cannot
// stand in for a passwordless login.
func TestPasskeyLogin(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	u := s.register(t, "passkey-login@example.com")
	s.enableTOTP(t, u.Token)
	pc := s.addPasskey(t, u.Token, u.User.ID)

	p := s.loginStep(t, u.User.Email)
	if !p.RequiresWebAuthn || p.RequiresTOTP || p.Token != "" {
		t.Fatalf("password step with a passkey: %+v", p)
	}
	expect(t, s.call(t, "GET", "/api/v1/auth/me", p.PendingToken, nil), 401, "INVALID_TOKEN")
	h, cred := pc.assert(t, s, map[string]any{"pending_token": p.PendingToken})
	// Without the pending login, a second-factor ceremony is refused.
	expect(t, s.call(t, "POST", "/api/v1/auth/webauthn/login/complete", "", map[string]any{"session_token": h, "credential": cred}), 401, "AUTHENTICATION_ERROR")
	h, cred = pc.assert(t, s, map[string]any{"pending_token": p.PendingToken})
	r := s.call(t, "POST", "/api/v1/auth/webauthn/login/complete", "", map[string]any{"session_token": h, "credential": cred, "pending_token": p.PendingToken})
	expect(t, r, 200, "")
	var done pendingData
	r.data(t, &done)
	expect(t, s.call(t, "GET", "/api/v1/auth/me", done.Token, nil), 200, "")

	// Passwordless by email.
	h, cred = pc.assert(t, s, map[string]any{"email": u.User.Email})
	r = s.call(t, "POST", "/api/v1/auth/webauthn/login/complete", "", map[string]any{"session_token": h, "credential": cred})
	expect(t, r, 200, "")
	r.data(t, &done)
	expect(t, s.call(t, "GET", "/api/v1/users/me", done.Token, nil), 200, "")

	// Discoverable (no email).
	h, cred = pc.assert(t, s, map[string]any{})
	expect(t, s.call(t, "POST", "/api/v1/auth/webauthn/login/complete", "", map[string]any{"session_token": h, "credential": cred}), 200, "")
}
