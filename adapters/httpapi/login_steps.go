package httpapi

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/throttle"
)

// pendingHeader carries the pending-login token when it is not in the body.
const pendingHeader = "X-Pending-Token"

// loginStepRoutes registers the second steps of a login, passkey logins
// and step-up re-authentication (SEED-SPEC 4.4, 4.5, 8.1).
func (h *handlers) loginStepRoutes(v1 fiber.Router, lim func(string, []throttle.Rule) fiber.Handler) {
	a := v1.Group("/auth")
	a.Post("/totp/verify", lim("totp-verify", h.d.Limits.TOTPVerify), h.totpVerify)
	a.Post("/webauthn/login/begin", lim("webauthn-login", h.d.Limits.Login), h.webauthnLoginBegin)
	a.Post("/webauthn/login/complete", lim("webauthn-login", h.d.Limits.Login), h.webauthnLoginComplete)
	a.Post("/reauthenticate", lim("reauthenticate", h.d.Limits.Login), h.requireSession, h.reauthenticate)
	// Step-up with a passkey: the same counter as the password and code.
	a.Post("/reauthenticate/webauthn/begin", lim("reauthenticate", h.d.Limits.Login), h.requireSession, h.reauthWebauthnBegin)
	a.Post("/reauthenticate/webauthn/complete", lim("reauthenticate", h.d.Limits.Login), h.requireSession, h.reauthWebauthnComplete)
}

// respondPending answers a first factor that needs a second one: no
// session, a pending-login token and what to do next.
func respondPending(c *fiber.Ctx, p *account.PendingLogin) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return respond(c, fiber.StatusOK, "Second factor required", fiber.Map{
		"pending_token": p.Token, "pending_expires_at": p.ExpiresAt,
		"requires_totp": p.RequiresTOTP, "requires_webauthn": p.RequiresWebAuthn, "requires_mfa": true,
	})
}

// pendingToken reads the pending-login token from the body or the header.
func pendingToken(c *fiber.Ctx, fromBody string) string {
	if fromBody != "" {
		return fromBody
	}
	return strings.Clone(c.Get(pendingHeader))
}

type totpStepBody struct {
	PendingToken string `json:"pending_token"`
	Code         string `json:"code"`
	IsBackupCode bool   `json:"is_backup_code"`
}

// totpVerify is POST /auth/totp/verify: the TOTP (or backup code) step.
func (h *handlers) totpVerify(c *fiber.Ctx) error {
	var b totpStepBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	r, err := h.d.Accounts.CompleteTOTP(c.UserContext(), account.TOTPStepInput{
		PendingToken: pendingToken(c, b.PendingToken), Code: b.Code, IsBackupCode: b.IsBackupCode,
	}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Login successful", loginData(r))
}

type passkeyBeginBody struct {
	Email        string `json:"email"`
	PendingToken string `json:"pending_token"`
	Conditional  bool   `json:"conditional"`
}

// webauthnLoginBegin is POST /auth/webauthn/login/begin: request options
// for the second step (pending token), a passwordless login ({email}) or
// a discoverable one (empty body).
func (h *handlers) webauthnLoginBegin(c *fiber.Ctx) error {
	var b passkeyBeginBody
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &b); err != nil {
			return fail(c, err)
		}
	}
	ch, err := h.d.Accounts.BeginPasskeyLogin(c.UserContext(), account.PasskeyBeginInput{
		PendingToken: pendingToken(c, b.PendingToken), Email: b.Email, Conditional: b.Conditional,
	})
	if err != nil {
		return fail(c, err)
	}
	return rawOptions(c, ch)
}

type passkeyFinishBody struct {
	SessionToken string          `json:"session_token"`
	PendingToken string          `json:"pending_token"`
	Credential   json.RawMessage `json:"credential"`
	RememberMe   bool            `json:"remember_me"`
}

// webauthnLoginComplete is POST /auth/webauthn/login/complete.
func (h *handlers) webauthnLoginComplete(c *fiber.Ctx) error {
	var b passkeyFinishBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	r, err := h.d.Accounts.CompletePasskeyLogin(c.UserContext(), account.PasskeyFinishInput{
		PendingToken: pendingToken(c, b.PendingToken), CeremonyToken: sessionToken(c, ceremonyBody{SessionToken: b.SessionToken}),
		Credential: b.Credential, RememberMe: b.RememberMe,
	}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Login successful", loginData(r))
}

// stepUp refuses a sensitive change when the session's last proof is older
// than the step-up window (403 REAUTHENTICATION_REQUIRED).
func (h *handlers) stepUp(c *fiber.Ctx) error {
	if err := h.d.Accounts.RequireRecentAuth(principal(c)); err != nil {
		return fail(c, err)
	}
	return c.Next()
}

type reauthBody struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// reauthenticate is POST /auth/reauthenticate: fresh proof moves the
// session's auth time to now (step-up). Full-access sessions only.
func (h *handlers) reauthenticate(c *fiber.Ctx) error {
	var b reauthBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	s, err := h.d.Accounts.Reauthenticate(c.UserContext(), principal(c), account.ReauthInput{Password: b.Password, Code: b.Code}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Re-authenticated", fiber.Map{"auth_time": s.AuthTime, "amr": s.AMR})
}

// reauthWebauthnBegin is POST /auth/reauthenticate/webauthn/begin: request
// options for a passkey step-up of the session (the user's own passkeys;
// 404 when the user has none). The handle comes back as session_token and
// in X-WebAuthn-Session-Token, as for a sign-in.
func (h *handlers) reauthWebauthnBegin(c *fiber.Ctx) error {
	ch, err := h.d.Accounts.BeginPasskeyReauth(c.UserContext(), principal(c))
	if err != nil {
		return fail(c, err)
	}
	return rawOptions(c, ch)
}

// reauthWebauthnComplete is POST /auth/reauthenticate/webauthn/complete:
// the assertion ({session_token, credential}; the handle may come in
// X-WebAuthn-Session-Token instead) moves the session's auth time to now.
func (h *handlers) reauthWebauthnComplete(c *fiber.Ctx) error {
	var b ceremonyBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	if len(b.Credential) == 0 {
		return fail(c, &fault.Error{Op: "httpapi.reauthWebauthnComplete", Kind: fault.Invalid, Msg: "Validation failed",
			Fields: map[string][]string{"credential": {"Credential is required"}}})
	}
	s, err := h.d.Accounts.Reauthenticate(c.UserContext(), principal(c), account.ReauthInput{
		CeremonyToken: sessionToken(c, b), Credential: b.Credential}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Re-authenticated", fiber.Map{"auth_time": s.AuthTime, "amr": s.AMR})
}
