package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/provider"
)

// loginContinuation is where a hosted sign-in goes once complete: the
// OIDC auth request RequestID, or else the local page Next (default
// /account).
type loginContinuation struct {
	RequestID string
	Next      string
}

// continuationFrom reads id and next from the form (POST) or the query.
func continuationFrom(c *fiber.Ctx) loginContinuation {
	get := func(k string) string { return strings.Clone(c.Query(k)) }
	if c.Method() == fiber.MethodPost {
		get = func(k string) string { return strings.Clone(c.FormValue(k)) }
	}
	cont := loginContinuation{RequestID: get("id")}
	if n := get("next"); n != "" {
		cont.Next = safePath(n)
	}
	return cont
}

// query is the continuation as a query string ("id=..." or "next=..."),
// or "".
func (lc loginContinuation) query() string {
	switch {
	case lc.RequestID != "":
		return "id=" + url.QueryEscape(lc.RequestID)
	case lc.Next != "":
		return "next=" + url.QueryEscape(lc.Next)
	}
	return ""
}

// target is the local page a finished local sign-in opens.
func (lc loginContinuation) target() string {
	if lc.Next == "" || lc.Next == "/" {
		return "/account"
	}
	return lc.Next
}

// signInContinue finishes a hosted first factor (password or passkey
// login, registration, invite acceptance) through the login state
// machine's answer: the second-factor page for a pending login, the
// enrolment flow for a compliance-only session, else the SSO cookie and
// the continuation.
func (h *handlers) signInContinue(c *fiber.Ctx, res account.LoginResult, cont loginContinuation) error {
	if cont.RequestID != "" {
		return h.afterFirstFactor(c, cont.RequestID, res)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if res.Pending != nil {
		// The second step is a page of its own; the pending token travels
		// in its forms, never in a URL.
		return h.sendMFA(c, fiber.StatusOK, cont, nil, res.Pending, "")
	}
	if res.Session.ComplianceOnly {
		return h.complianceContinue(c, res, cont.target())
	}
	h.setSSOCookie(c, res.Token, res.Session.ExpiresAt)
	return c.Redirect(cont.target(), fiber.StatusSeeOther)
}

// renderLogin shows the sign-in page for the continuation; d is the OIDC
// decision (client name, branding, login_hint) or nil; errKey a catalogue
// key or "".
func (h *handlers) renderLogin(c *fiber.Ctx, status int, cont loginContinuation, d *provider.Decision, email, errKey string) error {
	v := loginView{RequestID: cont.RequestID, Next: cont.Next, Email: email, Error: errKey, Action: "/login",
		Passkeys: h.d.MFA != nil, ForgotHref: "/forgot-password", RegisterHref: "/register"}
	if q := cont.query(); q != "" {
		v.ForgotHref += "?" + q
		v.RegisterHref += "?" + q
	}
	if cont.RequestID != "" {
		v.Action = "/oidc/login"
	}
	if d != nil {
		v.ClientName = d.Client.Name
		if v.Email == "" {
			v.Email = d.Request.LoginHint
		}
	}
	return h.sendSignInStep(c, status, pageLogin, "login.title", v, d, v.Passkeys)
}

// sendSignInStep sends a page of a hosted sign-in (the password page or
// the second step) with its view v: branded for the client of the OIDC
// decision d (nil for a local sign-in), with passkey.js when the page
// offers passkeys.
func (h *handlers) sendSignInStep(c *fiber.Ctx, status int, name, titleKey string, v any, d *provider.Decision, passkeys bool) error {
	pg := h.newPage(c, titleKey, v)
	if d != nil {
		pg.OrgBrand = h.orgBrand(c, d.Client)
	}
	if passkeys {
		pg.Scripts = []string{"/static/js/passkey.js"}
	}
	return h.sendPage(c, status, name, pg)
}

// loginErrorStatus is the HTTP status of the sign-in page showing errKey.
func loginErrorStatus(errKey string) int {
	switch errKey {
	case "login.error.rate_limited":
		return fiber.StatusTooManyRequests
	case "login.error.unavailable":
		return fiber.StatusServiceUnavailable
	case "login.error.required":
		return fiber.StatusBadRequest
	}
	return fiber.StatusUnauthorized
}

// loginErrorKey maps a failed first factor to the sign-in page's message:
// one generic message for every wrong credential.
func loginErrorKey(c *fiber.Ctx, err error) string {
	switch fault.KindOf(err) {
	case fault.Unauthenticated, fault.NotFound:
		return "login.error.invalid"
	case fault.RateLimited:
		return "login.error.rate_limited"
	case fault.Forbidden:
		return "login.error.blocked"
	case fault.Invalid:
		return "login.error.required"
	}
	logger(c).Error("hosted sign-in failed", "error", err.Error())
	return "login.error.unavailable"
}

// loginPage is GET /login[?next=] and GET /oidc/login?id=. For an OIDC
// request the provider decides (with a usable SSO session it finishes at
// once; prompt=none never shows a page). A local sign-in with a full SSO
// session goes straight to next.
func (h *handlers) loginPage(c *fiber.Ctx) error {
	cont := continuationFrom(c)
	_, sess := h.ssoSession(c)
	if cont.RequestID != "" {
		d, err := h.d.OIDC.Provider.Next(c.UserContext(), cont.RequestID, sess, requestSource(c))
		return h.proceed(c, d, err, "", "")
	}
	if sess != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(cont.target(), fiber.StatusSeeOther)
	}
	return h.renderLogin(c, fiber.StatusOK, cont, nil, "", "")
}

// loginFailed shows the sign-in page again with errKey: for an OIDC
// request through the provider (which may have ended it meanwhile).
func (h *handlers) loginFailed(c *fiber.Ctx, cont loginContinuation, email, errKey string) error {
	if cont.RequestID != "" {
		d, err := h.d.OIDC.Provider.Next(c.UserContext(), cont.RequestID, nil, requestSource(c))
		if err != nil && !fault.Is(err, fault.Invalid) {
			return h.proceed(c, d, err, "", "")
		}
		d.Step = provider.StepLogin
		return h.proceed(c, d, nil, errKey, email)
	}
	return h.renderLogin(c, loginErrorStatus(errKey), cont, nil, email, errKey)
}

// loginStart checks a sign-in form: the CSRF token and, for an OIDC
// request, that it is still alive (its ui_locales then apply). ok false
// means the answer has been written (err is its result).
func (h *handlers) loginStart(c *fiber.Ctx) (loginContinuation, bool, error) {
	cont := continuationFrom(c)
	if cont.RequestID != "" {
		a, err := h.d.OIDC.Provider.AuthRequest(c.UserContext(), cont.RequestID)
		if err != nil {
			return cont, false, h.proceed(c, provider.Decision{}, err, "", "")
		}
		requestLocales(c, a)
	}
	if !h.uiCSRFValid(c) {
		return cont, false, h.uiError(c, fiber.StatusForbidden, "oidc.error.form_expired")
	}
	return cont, true, nil
}

// loginSubmit is POST /login and POST /oidc/login: email and password
// through the account use case, then signInContinue. A failure shows the
// form again with one generic message (status 401) and creates nothing.
func (h *handlers) loginSubmit(c *fiber.Ctx) error {
	cont, ok, err := h.loginStart(c)
	if !ok {
		return err
	}
	email := strings.TrimSpace(strings.Clone(c.FormValue("email")))
	res, err := h.d.Accounts.Login(c.UserContext(), account.LoginInput{Email: email, Password: c.FormValue("password")}, requestSource(c))
	if err != nil {
		return h.loginFailed(c, cont, email, loginErrorKey(c, err))
	}
	return h.signInContinue(c, res, cont)
}

// passkeyBegin is POST /login/passkey/begin (fetched by passkey.js with
// the page's CSRF token): the options of a discoverable passkey login
// (no email needed), with conditional=1 for autofill. JSON.
func (h *handlers) passkeyBegin(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if !h.uiCSRFValid(c) {
		return c.Status(fiber.StatusForbidden).JSON(fiber.Map{"error": "csrf"})
	}
	ch, err := h.d.Accounts.BeginPasskeyLogin(c.UserContext(), account.PasskeyBeginInput{Conditional: c.FormValue("conditional") == "1"})
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"error": "unavailable"})
		}
		logger(c).Error("passkey sign-in options failed", "error", err.Error())
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"error": "unavailable"})
	}
	return rawOptions(c, ch)
}

// passkeySubmit is POST /login/passkey: the assertion of a passwordless
// sign-in (a form post made by passkey.js), then signInContinue. The core
// requires user verification, so the session's amr is hwk or swk plus mfa.
func (h *handlers) passkeySubmit(c *fiber.Ctx) error {
	cont, ok, err := h.loginStart(c)
	if !ok {
		return err
	}
	res, err := h.d.Accounts.CompletePasskeyLogin(c.UserContext(), account.PasskeyFinishInput{
		CeremonyToken: strings.Clone(c.FormValue("session_token")), Credential: []byte(c.FormValue("credential")),
	}, requestSource(c))
	if err != nil {
		key := "login.error.passkey"
		switch fault.KindOf(err) {
		case fault.Unauthenticated, fault.Invalid, fault.NotFound:
		case fault.Forbidden:
			key = "login.error.blocked"
		case fault.RateLimited:
			key = "login.error.rate_limited"
		default:
			key = loginErrorKey(c, err)
		}
		return h.loginFailed(c, cont, "", key)
	}
	return h.signInContinue(c, res, cont)
}

// mfaRedirect is GET /login/mfa: the second step exists only as the
// answer to a first factor, so a bookmarked or reloaded address starts
// over.
func (h *handlers) mfaRedirect(c *fiber.Ctx) error {
	to := "/login"
	if q := continuationFrom(c).query(); q != "" {
		to += "?" + q
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(to, fiber.StatusSeeOther)
}

// mountLoginPages registers the sign-in pages: /login (password,
// passkey), the MFA step of a local sign-in, passwordless passkeys. The
// OIDC variants (/oidc/login, /oidc/mfa) are in oidcRoutes.
func (h *handlers) mountLoginPages(app *fiber.App) {
	// The REST routes' per-IP counters: a page refusal is the 429 page,
	// the options endpoint (fetched by passkey.js) answers JSON.
	login := h.pageLimit("login", h.d.Limits.Login)
	second := h.pageLimit("oidc-mfa", h.d.Limits.TOTPVerify)
	app.Get("/login", h.loginPage)
	app.Post("/login", login, h.loginSubmit)
	app.Get("/login/mfa", h.mfaRedirect)
	app.Post("/login/mfa", second, h.mfaSubmit)
	app.Post("/login/mfa/passkey", second, h.mfaPasskeySubmit)
	app.Post("/login/passkey/begin", rateLimit(h.d.Limiter, "webauthn-login", h.d.Limits.Login...), h.passkeyBegin)
	app.Post("/login/passkey", h.pageLimit("webauthn-login", h.d.Limits.Login), h.passkeySubmit)
}
