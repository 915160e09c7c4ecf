package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/provider"
)

// Page names.
const (
	pageLogin   = "login"
	pageConsent = "consent"
	pageMessage = "message"
	pageLogout  = "logout"
	pageDevice  = "device"
	pageMFA     = "mfa"
)

type loginView struct {
	ClientName, RequestID, CSRF, Email, Error string
}

type consentView struct {
	ClientName, LogoURI, PolicyURI, TosURI, UserEmail, RequestID, CSRF string
	Scopes                                                             []string
}

type deviceView struct {
	UserCode, CSRF, Error string
}

type logoutView struct {
	ClientName, UserEmail, ClientID, PostLogoutRedirectURI, State, CSRF string
}

type messageView struct {
	Message, Detail string
	IsError         bool
}

// ssoCookieName is __Host-secuird_session over TLS, secuird_session over
// plain http (development), where the __Host- prefix is not allowed.
func (h *handlers) ssoCookieName() string {
	if strings.HasPrefix(h.d.OIDC.Issuer, "https://") {
		return "__Host-secuird_session"
	}
	return "secuird_session"
}

func (h *handlers) ssoToken(c *fiber.Ctx) string {
	return strings.Clone(c.Cookies(h.ssoCookieName()))
}

func (h *handlers) setSSOCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: h.ssoCookieName(), Value: token, Path: "/", Expires: expires, HTTPOnly: true,
		Secure: strings.HasPrefix(h.d.OIDC.Issuer, "https://"), SameSite: fiber.CookieSameSiteLaxMode})
}

func (h *handlers) clearSSOCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: h.ssoCookieName(), Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1, HTTPOnly: true,
		Secure: strings.HasPrefix(h.d.OIDC.Issuer, "https://"), SameSite: fiber.CookieSameSiteLaxMode})
}

// ssoSession returns the browser's signed-in session, or nil.
func (h *handlers) ssoSession(c *fiber.Ctx) (*account.Principal, *provider.Session) {
	tok := h.ssoToken(c)
	if tok == "" {
		return nil, nil
	}
	p, err := h.d.Accounts.Authenticate(c.UserContext(), tok)
	if err != nil || !p.FullAccess() {
		return nil, nil
	}
	authTime := p.Session.AuthTime
	if authTime.IsZero() {
		authTime = p.Session.CreatedAt
	}
	return &p, &provider.Session{ID: p.Session.ID, UserID: p.User.ID, AuthTime: authTime, AMR: p.Session.AMR}
}

// csrfToken binds a form to its purpose (and the auth request) with an
// HMAC under SECRET_KEY and a per-form random nonce echoed in a cookie
// (double submit): a cross-site page can neither read nor forge it.
func (h *handlers) csrfToken(c *fiber.Ctx, purpose string) string {
	nonce := h.csrfNonce(c)
	m := hmac.New(sha256.New, h.d.OIDC.SecretKey)
	m.Write([]byte("secuird-csrf|" + purpose + "|" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *handlers) csrfValid(c *fiber.Ctx, purpose string) bool {
	nonce := c.Cookies("secuird_csrf")
	if len(nonce) < 16 {
		return false
	}
	m := hmac.New(sha256.New, h.d.OIDC.SecretKey)
	m.Write([]byte("secuird-csrf|" + purpose + "|" + nonce))
	want := m.Sum(nil)
	got, err := base64.RawURLEncoding.DecodeString(c.FormValue("csrf_token"))
	return err == nil && hmac.Equal(got, want)
}

// errorRedirect sends the browser back to the client's registered
// redirect URI with an OAuth error, the state and iss (RFC 9207).
func (h *handlers) errorRedirect(c *fiber.Ctx, a oidc.AuthRequest, code, desc string) error {
	if a.ResponseType == oidc.ResponseTypeDevice {
		// A device request has no redirect URI: the answer reaches the
		// device when it polls.
		return h.pages.send(c, fiber.StatusOK, pageMessage, "Device not connected", messageView{Message: "The device was not given access.",
			Detail: "You can close this window.", IsError: true})
	}
	q := url.Values{}
	q.Set("error", code)
	if desc != "" {
		q.Set("error_description", desc)
	}
	if a.State != "" {
		q.Set("state", a.State)
	}
	q.Set("iss", h.d.OIDC.Issuer)
	sep := "?"
	if strings.Contains(a.RedirectURI, "?") {
		sep = "&"
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(a.RedirectURI+sep+q.Encode(), fiber.StatusFound)
}

// proceed acts on the core's decision.
func (h *handlers) proceed(c *fiber.Ctx, d provider.Decision, err error, loginErr, email string) error {
	if err != nil {
		fe := fault.As(err)
		if fe != nil && (fe.Code == provider.CodeLoginRequired || fe.Code == provider.CodeConsentRequired) && d.Request.ID != "" {
			h.d.OIDC.Provider.Abort(c.UserContext(), d.Request.ID)
			return h.errorRedirect(c, d.Request, fe.Code, fe.Msg)
		}
		if fault.Is(err, fault.NotFound) {
			return h.pages.errorPage(c, fiber.StatusNotFound, fe.Msg)
		}
		logger(c).Error("oidc login step failed", "error", err.Error())
		return h.pages.errorPage(c, fiber.StatusInternalServerError, "The sign-in could not be completed.")
	}
	switch d.Step {
	case provider.StepDone:
		if d.Request.ResponseType == oidc.ResponseTypeDevice {
			return h.pages.send(c, fiber.StatusOK, pageMessage, "Device connected", messageView{Message: "Your device is now signed in.",
				Detail: "Return to your device. You can close this window."})
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(h.d.OIDC.CallbackURL(d.Request.ID), fiber.StatusFound)
	case provider.StepConsent:
		return c.Redirect("/oidc/consent?id="+url.QueryEscape(d.Request.ID), fiber.StatusFound)
	}
	status := fiber.StatusOK
	if loginErr != "" {
		status = fiber.StatusUnauthorized
	}
	if email == "" {
		email = d.Request.LoginHint
	}
	return h.pages.send(c, status, pageLogin, "Sign in", loginView{ClientName: d.Client.Name, RequestID: d.Request.ID,
		CSRF: h.csrfToken(c, "login|"+d.Request.ID), Email: email, Error: loginErr})
}

// loginPage is GET /oidc/login?id=: the provider sends the browser here
// after /authorize. With a usable SSO session the core finishes at once;
// prompt=none never shows a page.
func (h *handlers) loginPage(c *fiber.Ctx) error {
	id := strings.Clone(c.Query("id"))
	_, sess := h.ssoSession(c)
	d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, sess, requestSource(c))
	return h.proceed(c, d, err, "", "")
}

// loginSubmit is POST /oidc/login: email and password through the account
// use case, then the SSO cookie, then the core's next step.
func (h *handlers) loginSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("id"))
	email := strings.Clone(c.FormValue("email"))
	if !h.csrfValid(c, "login|"+id) {
		return h.pages.errorPage(c, fiber.StatusForbidden, "The form has expired. Go back to the application and sign in again.")
	}
	if _, err := h.d.OIDC.Provider.AuthRequest(c.UserContext(), id); err != nil {
		return h.proceed(c, provider.Decision{}, err, "", "")
	}
	res, err := h.d.Accounts.Login(c.UserContext(), account.LoginInput{Email: email, Password: c.FormValue("password")}, requestSource(c))
	if err != nil {
		d, nerr := h.d.OIDC.Provider.Next(c.UserContext(), id, nil, requestSource(c))
		if nerr != nil && !fault.Is(nerr, fault.Invalid) {
			return h.proceed(c, d, nerr, "", "")
		}
		msg := "Invalid email or password."
		switch fault.KindOf(err) {
		case fault.RateLimited:
			msg = "Too many failed attempts. Try again later."
		case fault.Forbidden:
			msg = fault.As(err).Msg
		case fault.Invalid:
			msg = "Enter your email and password."
		case fault.Unauthenticated:
		default:
			logger(c).Error("oidc login failed", "error", err.Error())
			msg = "Sign-in is unavailable right now. Try again later."
		}
		d.Step = provider.StepLogin
		return h.proceed(c, d, nil, msg, email)
	}
	return h.afterFirstFactor(c, id, res)
}

// consentPage is GET /oidc/consent?id=.
func (h *handlers) consentPage(c *fiber.Ctx) error {
	id := strings.Clone(c.Query("id"))
	p, sess := h.ssoSession(c)
	if sess == nil {
		return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
	}
	d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, sess, requestSource(c))
	if err != nil || d.Step != provider.StepConsent {
		return h.proceed(c, d, err, "", "")
	}
	var scopes []string
	for _, s := range d.Request.Scopes {
		if s != oidc.ScopeOpenID {
			scopes = append(scopes, scopeText(s))
		}
	}
	if len(scopes) == 0 {
		scopes = []string{"Know who you are"}
	}
	return h.pages.send(c, fiber.StatusOK, pageConsent, "Allow access?", consentView{ClientName: d.Client.Name, LogoURI: httpsOnly(d.Client.LogoURI),
		PolicyURI: httpsOnly(d.Client.PolicyURI), TosURI: httpsOnly(d.Client.TosURI), UserEmail: p.User.Email, RequestID: d.Request.ID,
		CSRF: h.csrfToken(c, "consent|"+d.Request.ID+"|"+sess.ID), Scopes: scopes})
}

// consentSubmit is POST /oidc/consent (approve or deny).
func (h *handlers) consentSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("id"))
	_, sess := h.ssoSession(c)
	if sess == nil {
		return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
	}
	if !h.csrfValid(c, "consent|"+id+"|"+sess.ID) {
		return h.pages.errorPage(c, fiber.StatusForbidden, "The form has expired. Go back to the application and sign in again.")
	}
	approve := c.FormValue("action") == "approve"
	d, err := h.d.OIDC.Provider.Consent(c.UserContext(), id, *sess, approve, requestSource(c))
	if fe := fault.As(err); fe != nil && fe.Code == provider.CodeAccessDenied {
		h.d.OIDC.Provider.Abort(c.UserContext(), id)
		return h.errorRedirect(c, d.Request, provider.CodeAccessDenied, "The user denied access")
	}
	return h.proceed(c, d, err, "", "")
}

// loggedOutPage is where end_session lands without a post-logout URI.
func (h *handlers) loggedOutPage(c *fiber.Ctx) error {
	return h.pages.send(c, fiber.StatusOK, pageMessage, "Signed out", messageView{Message: "You are signed out.",
		Detail: "You can close this window."})
}

// scopeText describes a scope to the user.
func scopeText(s string) string {
	switch s {
	case oidc.ScopeProfile:
		return "Your name, username and picture"
	case oidc.ScopeEmail:
		return "Your email address"
	case oidc.ScopeOfflineAccess:
		return "Stay signed in (access while you are away)"
	case oidc.ScopeRoles:
		return "Your organizations and roles"
	}
	if slug, ok := strings.CutPrefix(s, oidc.ScopeOrgPrefix); ok {
		return "Your membership in organization " + slug
	}
	return s
}

func httpsOnly(u string) string {
	if strings.HasPrefix(u, "https://") {
		return u
	}
	return ""
}

// consentItem is one remembered consent in the API.
type consentItem struct {
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// listConsents is GET /api/v1/users/me/consents.
func (h *handlers) listConsents(c *fiber.Ctx) error {
	p := principal(c)
	l, err := h.d.OIDC.Provider.ListConsents(c.UserContext(), p.User.ID)
	if err != nil {
		return fail(c, err)
	}
	out := make([]consentItem, 0, len(l))
	for _, x := range l {
		out = append(out, consentItem{ClientID: x.ClientID, Scopes: x.Scopes, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt})
	}
	return respond(c, fiber.StatusOK, "Consents", fiber.Map{"consents": out})
}

// revokeConsent is DELETE /api/v1/users/me/consents/:client_id.
func (h *handlers) revokeConsent(c *fiber.Ctx) error {
	p := principal(c)
	if err := h.d.OIDC.Provider.RevokeConsent(c.UserContext(), p.User.ID, strings.Clone(c.Params("client_id")), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Consent revoked", nil)
}

// oidcRoutes registers the hosted pages, the consent API and, last, the
// provider mount.
func (h *handlers) oidcRoutes(app *fiber.App, v1 fiber.Router) error {
	if h.d.OIDC == nil {
		return nil
	}
	pg, err := loadPages(h.d.UI.Brand)
	if err != nil {
		return err
	}
	h.pages = pg
	h.uiRoutes(app)
	app.Get("/oidc/login", h.loginPage)
	app.Post("/oidc/login", h.loginSubmit)
	app.Post("/oidc/mfa", rateLimit(h.d.Limiter, "oidc-mfa", h.d.Limits.TOTPVerify...), h.mfaSubmit)
	app.Post("/oidc/mfa/passkey", rateLimit(h.d.Limiter, "oidc-mfa", h.d.Limits.TOTPVerify...), h.mfaPasskeySubmit)
	app.Get("/oidc/consent", h.consentPage)
	app.Post("/oidc/consent", h.consentSubmit)
	app.Get("/oidc/logged-out", h.loggedOutPage)
	app.Get("/oidc/logout", h.logoutPage)
	app.Post("/oidc/logout", h.logoutSubmit)
	app.Get("/oidc/device", h.devicePage)
	app.Post("/oidc/device", rateLimit(h.d.Limiter, "oidc-device", h.d.Limits.Login...), h.deviceSubmit)
	v1.Get("/users/me/consents", h.requireSession, h.listConsents)
	v1.Delete("/users/me/consents/:client_id", h.requireSession, h.revokeConsent)
	h.securityRoutes(app)
	h.mountOIDC(app)
	return nil
}
