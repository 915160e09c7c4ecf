package app_test

import (
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descope/virtualwebauthn"

	"github.com/secuird/secuird/app"
)

// stepUpAge is the step-up window of the passkey step-up tests: long
// enough for a step-up and the change after it, short enough to wait out.
const stepUpAge = 2 * time.Second

// passkeyOnly gives a registered user a software passkey and takes the
// password away (as an account made by a passkey sign-up has none).
func passkeyOnly(t *testing.T, s *server, dbPath, email string) (authData, *passkeyClient) {
	t.Helper()
	reg := s.register(t, email)
	pc := s.addPasskey(t, reg.Token, reg.User.ID)
	dropPassword(t, dbPath, reg.User.ID)
	return reg, pc
}

// dropPassword removes the password of a user of the embedded database at
// dbPath, as an account made by a passkey sign-up has none.
func dropPassword(t *testing.T, dbPath, userID string) {
	t.Helper()
	// The server holds the database's writer: wait for it rather than
	// failing with SQLITE_BUSY.
	db, err := sql.Open("sqlite", "file:"+dbPath+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `UPDATE authentication_methods SET deleted_at = CURRENT_TIMESTAMP WHERE user_id = ?`, userID); err != nil {
		t.Fatal(err)
	}
}

// answer signs the request options in body (JSON) with the next count.
func (pc *passkeyClient) answer(t *testing.T, body []byte) json.RawMessage {
	t.Helper()
	opts, err := virtualwebauthn.ParseAssertionOptions(string(body))
	if err != nil {
		t.Fatalf("options %s: %v", body, err)
	}
	pc.cred.Counter++
	return json.RawMessage(virtualwebauthn.CreateAssertionResponse(pc.rp, pc.auth, pc.cred, *opts))
}

// reauthOptions is the part of the step-up options the tests look at.
type reauthOptions struct {
	SessionToken string `json:"session_token"`
	PublicKey    struct {
		UserVerification string `json:"userVerification"`
		AllowCredentials []any  `json:"allowCredentials"`
	} `json:"publicKey"`
}

// TestPasskeyStepUpAPI checks POST /auth/reauthenticate/webauthn/begin and
// /complete: a passkey-only account, which cannot step up with a password,
// confirms with its passkey and may then delete itself; the challenge is
// the user's own, single use, and no sign-in challenge stands in for it.
func TestPasskeyStepUpAPI(t *testing.T) {
	t.Parallel()
	var dbPath string
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = stepUpAge; dbPath = c.SQLitePath() })
	reg, pc := passkeyOnly(t, s, dbPath, "stepup-passkey@example.com")
	plain := s.register(t, "stepup-plain@example.com")
	time.Sleep(stepUpAge + 100*time.Millisecond)

	expect(t, s.call(t, "DELETE", "/api/v1/users/me", reg.Token, nil), 403, "REAUTHENTICATION_REQUIRED")
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate", reg.Token, map[string]any{"password": pw}), 401, "AUTHENTICATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/begin", "", nil), 401, "AUTH_REQUIRED")
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/begin", plain.Token, nil), 404, "NOT_FOUND")

	// A sign-in challenge is not a step-up challenge.
	h, cred := pc.assert(t, s, map[string]any{"email": reg.User.Email})
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/complete", reg.Token,
		map[string]any{"session_token": h, "credential": cred}), 401, "AUTHENTICATION_ERROR")

	r := s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/begin", reg.Token, nil)
	if r.status != 200 {
		t.Fatalf("begin: %d %s", r.status, r.raw)
	}
	var opts reauthOptions
	if err := json.Unmarshal(r.raw, &opts); err != nil || opts.SessionToken == "" || opts.SessionToken != r.header.Get("X-WebAuthn-Session-Token") ||
		opts.PublicKey.UserVerification != "required" || len(opts.PublicKey.AllowCredentials) != 1 {
		t.Fatalf("options: %s", r.raw)
	}
	// Another user's session cannot answer it.
	cred = pc.answer(t, r.raw)
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/complete", plain.Token,
		map[string]any{"session_token": opts.SessionToken, "credential": cred}), 401, "AUTHENTICATION_ERROR")

	r = s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/begin", reg.Token, nil)
	cred = pc.answer(t, r.raw)
	// The handle may come in the header, as for a sign-in.
	done := s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/complete", reg.Token, map[string]any{"credential": cred},
		"X-WebAuthn-Session-Token", r.header.Get("X-WebAuthn-Session-Token"))
	expect(t, done, 200, "")
	var got struct {
		AuthTime time.Time `json:"auth_time"`
		AMR      []string  `json:"amr"`
	}
	done.data(t, &got)
	if time.Since(got.AuthTime) > time.Minute || !slices.Contains(got.AMR, "hwk") || !slices.Contains(got.AMR, "mfa") {
		t.Fatalf("step-up: %+v", got)
	}
	// Single use.
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/complete", reg.Token,
		map[string]any{"session_token": r.header.Get("X-WebAuthn-Session-Token"), "credential": cred}), 401, "AUTHENTICATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/complete", reg.Token, map[string]any{"session_token": "x"}), 400, "VALIDATION_ERROR")

	expect(t, s.call(t, "DELETE", "/api/v1/users/me", reg.Token, nil), 200, "")
}

// TestPasskeyStepUpPreferredUV checks that SECUIRD_WEBAUTHN_PASSWORDLESS_UV
// reaches the passkey ceremonies.
func TestPasskeyStepUpPreferredUV(t *testing.T) {
	t.Parallel()
	s := startServer(t, func(c *app.Config) { c.WebAuthnPasswordlessUV = "preferred" })
	reg := s.register(t, "stepup-preferred@example.com")
	s.addPasskey(t, reg.Token, reg.User.ID)
	r := s.call(t, "POST", "/api/v1/auth/reauthenticate/webauthn/begin", reg.Token, nil)
	var opts reauthOptions
	if err := json.Unmarshal(r.raw, &opts); r.status != 200 || err != nil || opts.PublicKey.UserVerification != "preferred" {
		t.Fatalf("begin: %d %s", r.status, r.raw)
	}
}

// postForm posts form (with the page's CSRF token unless set) and
// returns the status and the body, as fetch in passkey.js does.
func (u *uiClient) postForm(path string, form url.Values) (int, []byte) {
	u.t.Helper()
	return u.postRaw(path, u.withCSRF(form))
}

// postRaw posts form as it is (no CSRF token added) and returns the
// status and the body.
func (u *uiClient) postRaw(path string, form url.Values) (int, []byte) {
	u.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := u.hc.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestUIPasskeyStepUp drives the hosted step-up with a software
// authenticator: a passkey-only account asked to confirm deleting itself
// gets the passkey button (passkey.js, translated messages, no password
// field), the options need the page's CSRF token, a bad assertion shows
// the form again, and a good one returns to the validated next page,
// after which the change goes through.
func TestUIPasskeyStepUp(t *testing.T) {
	t.Parallel()
	var dbPath string
	s := startServer(t, func(c *app.Config) { c.Session.StepUpMaxAge = stepUpAge; dbPath = c.SQLitePath() })
	reg, pc := passkeyOnly(t, s, dbPath, "ui-stepup@example.com")
	time.Sleep(stepUpAge + 100*time.Millisecond)

	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account")
	if r := u.postNoFollow("/account/delete", url.Values{"confirm": {"yes"}}); r.status != http.StatusSeeOther || r.location != "/account/reauth?next=%2Faccount" {
		t.Fatalf("delete without a recent proof: %d %s", r.status, r.location)
	}
	p := u.get("/account/reauth?next=%2Faccount")
	p.mustContain(t, `data-passkey-reauth="/account/reauth/passkey/begin"`, `action="/account/reauth/passkey"`, `src="/static/js/passkey.js"`,
		`data-msg-unsupported="This browser does not support passkeys."`, `data-msg-failed="The passkey was not accepted. Try again."`,
		"Confirm with a passkey", `name="next" value="/account"`)
	p.mustNotContain(t, `name="password"`, "<script>")
	u.lang = "de"
	u.get("/account/reauth?next=%2Faccount").mustContain(t, "Mit einem Passkey bestätigen", `data-msg-unsupported="Dieser Browser unterstützt keine Passkeys."`)
	u.lang = ""
	u.get("/account/reauth?next=%2Faccount")

	if status, _ := u.postForm("/account/reauth/passkey/begin", url.Values{"csrf_token": {"forged"}}); status != http.StatusForbidden {
		t.Fatalf("begin with a forged token: %d", status)
	}
	status, body := u.postForm("/account/reauth/passkey/begin", nil)
	var opts reauthOptions
	if err := json.Unmarshal(body, &opts); status != http.StatusOK || err != nil || opts.PublicKey.UserVerification != "required" || len(opts.PublicKey.AllowCredentials) != 1 {
		t.Fatalf("begin: %d %s", status, body)
	}
	bad := u.post("/account/reauth/passkey", url.Values{"session_token": {opts.SessionToken}, "credential": {`{"id":"x"}`}, "next": {"/account"}})
	if bad.status != http.StatusUnauthorized {
		t.Fatalf("bad assertion: %d", bad.status)
	}
	bad.mustContain(t, `data-test="reauth-error"`, "The passkey was not accepted. Try again.", `data-passkey-reauth=`)

	_, body = u.postForm("/account/reauth/passkey/begin", nil)
	_ = json.Unmarshal(body, &opts)
	cred := pc.answer(t, body)
	if r := u.postNoFollow("/account/reauth/passkey", url.Values{"session_token": {opts.SessionToken}, "credential": {string(cred)},
		"next": {"/account"}, "csrf_token": {"forged"}}); r.status != http.StatusForbidden {
		t.Fatalf("assertion with a forged token: %d", r.status)
	}
	_, body = u.postForm("/account/reauth/passkey/begin", nil)
	_ = json.Unmarshal(body, &opts)
	cred = pc.answer(t, body)
	r := u.postNoFollow("/account/reauth/passkey", url.Values{"session_token": {opts.SessionToken}, "credential": {string(cred)}, "next": {"https://evil.example/account"}})
	if r.status != http.StatusSeeOther || r.location != "/account/security" {
		t.Fatalf("passkey step-up: %d %q\n%.400s", r.status, r.location, r.body)
	}
	u.get("/account").mustFlash(t, "Thanks, you can make the change now.")
	if r := u.postNoFollow("/account/delete", url.Values{"confirm": {"yes"}}); r.status != http.StatusSeeOther || strings.HasPrefix(r.location, "/account/reauth") {
		t.Fatalf("delete after the step-up: %d %s", r.status, r.location)
	}
	expect(t, s.call(t, "GET", "/api/v1/auth/me", reg.Token, nil), 401, "INVALID_TOKEN")
}

// TestUIPasskeyMessagesTranslated checks that the security page's "Add a
// passkey" form gives passkey.js its messages from the catalogue.
func TestUIPasskeyMessagesTranslated(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	reg := s.register(t, "pk-messages@example.com")
	u := newUIClient(t, s)
	u.setSession(reg.Token)
	u.get("/account/security").mustContain(t, `data-passkey-register="/account/security/passkeys/begin"`,
		`data-msg-unsupported="This browser does not support passkeys."`, `data-msg-failed="The passkey was not added. Try again."`)
	u.lang = "de"
	u.get("/account/security").mustContain(t, `data-msg-unsupported="Dieser Browser unterstützt keine Passkeys."`,
		`data-msg-failed="Der Passkey wurde nicht hinzugefügt. Versuchen Sie es erneut."`)
	// A user without a passkey gets no passkey button on the step-up form.
	u.lang = ""
	u.get("/account/reauth").mustNotContain(t, "data-passkey-reauth", "/static/js/passkey.js")
}
