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
	pageLogin     = "login"
	pageConsent   = "consent"
	pageMessage   = "message"
	pageLogout    = "logout"
	pageDevice    = "device"
	pageMFA       = "mfa"
	pageOrgSelect = "org_select"
)

// loginView is the sign-in page (/login and /oidc/login): the password
// form, the passkey button (with autofill) and the links. Error is a
// catalogue key.
type loginView struct {
	// RequestID and Next are the continuation (loginContinuation).
	RequestID, Next string
	// ClientName is the application the sign-in is for ("" locally).
	ClientName string
	Email      string
	Error      string
	// Action is where the password form posts.
	Action string
	// Passkeys shows the passkey button (the MFA service is wired).
	Passkeys                 bool
	ForgotHref, RegisterHref string
}

// scopeItem is one line of the consent page: a catalogue key and its
// arguments.
type scopeItem struct {
	Key  string
	Args []any
}

type consentView struct {
	ClientName, LogoURI, PolicyURI, TosURI, UserEmail, RequestID string
	Scopes                                                       []scopeItem
}

type deviceView struct {
	// Error is a catalogue key.
	UserCode, Error string
}

type logoutView struct {
	ClientName, UserEmail, ClientID, PostLogoutRedirectURI, State string
}

// messageView is a page with one message: Message, Detail and LinkText
// are catalogue keys.
type messageView struct {
	Message, Detail    string
	IsError            bool
	LinkHref, LinkText string
}

// orgChoiceView is one organization on the selection page.
type orgChoiceView struct {
	ID, Slug, Name, LogoURL, Initial, RoleKey string
}

// orgSelectView is the organization selection page (scope organization).
type orgSelectView struct {
	RequestID, ClientName, Error string
	Orgs                         []orgChoiceView
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
		return h.messagePage(c, fiber.StatusOK, "oidc.device.denied_title", messageView{Message: "oidc.device.denied",
			Detail: "oidc.close_window", IsError: true})
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

// messagePage shows a page with one message.
func (h *handlers) messagePage(c *fiber.Ctx, status int, titleKey string, v messageView) error {
	return h.sendPage(c, status, pageMessage, h.newPage(c, titleKey, v))
}

// requestLocales makes the pages of an OIDC request speak its ui_locales.
func requestLocales(c *fiber.Ctx, a oidc.AuthRequest) {
	if len(a.UILocales) > 0 {
		c.Locals(uiLocalesKey, strings.Join(a.UILocales, " "))
	}
}

// orgBrand is the card header of a client that belongs to an
// organization: its name and (https) logo; nil for a platform client.
func (h *handlers) orgBrand(c *fiber.Ctx, cl oidc.Client) *OrgBrand {
	if cl.OrgID == "" {
		return nil
	}
	o, err := h.d.OIDC.Provider.ClientOrg(c.UserContext(), cl)
	if err != nil {
		if !fault.Is(err, fault.NotFound) {
			logger(c).Warn("client organization lookup failed", "error", err.Error())
		}
		return nil
	}
	return &OrgBrand{Name: o.Name, LogoURL: httpsOnly(o.LogoURL)}
}

// proceed acts on the core's decision: an OAuth error redirect, an error
// page, the provider's callback, or the page of the next step. On the login
// step, loginErr (a catalogue key) and email fill the form again.
func (h *handlers) proceed(c *fiber.Ctx, d provider.Decision, err error, loginErr, email string) error {
	if d.Request.ID != "" {
		requestLocales(c, d.Request)
	}
	if err != nil {
		fe := fault.As(err)
		if fe != nil && d.Request.ID != "" {
			switch fe.Code {
			case provider.CodeLoginRequired, provider.CodeConsentRequired, provider.CodeInteractionRequired, provider.CodeAccessDenied:
				h.d.OIDC.Provider.Abort(c.UserContext(), d.Request.ID)
				return h.errorRedirect(c, d.Request, fe.Code, fe.Msg)
			}
		}
		if fault.Is(err, fault.NotFound) {
			return h.uiError(c, fiber.StatusNotFound, "oidc.error.request_expired")
		}
		logger(c).Error("oidc login step failed", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "oidc.error.failed")
	}
	switch d.Step {
	case provider.StepDone:
		if d.Request.ResponseType == oidc.ResponseTypeDevice {
			return h.messagePage(c, fiber.StatusOK, "oidc.device.connected_title", messageView{Message: "oidc.device.connected",
				Detail: "oidc.device.connected_detail"})
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(h.d.OIDC.CallbackURL(d.Request.ID), fiber.StatusFound)
	case provider.StepConsent:
		return c.Redirect("/oidc/consent?id="+url.QueryEscape(d.Request.ID), fiber.StatusFound)
	case provider.StepOrg:
		return c.Redirect("/oidc/org?id="+url.QueryEscape(d.Request.ID), fiber.StatusFound)
	}
	status := fiber.StatusOK
	if loginErr != "" {
		status = loginErrorStatus(loginErr)
	}
	if email == "" {
		email = d.Request.LoginHint
	}
	return h.renderLogin(c, status, loginContinuation{RequestID: d.Request.ID}, &d, email, loginErr)
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
	requestLocales(c, d.Request)
	var scopes []scopeItem
	for _, s := range d.Request.Scopes {
		if s != oidc.ScopeOpenID {
			scopes = append(scopes, scopeDescription(s))
		}
	}
	if len(scopes) == 0 {
		scopes = []scopeItem{scopeDescription(oidc.ScopeOpenID)}
	}
	pg := h.newPage(c, "oidc.consent.title", consentView{ClientName: d.Client.Name, LogoURI: httpsOnly(d.Client.LogoURI),
		PolicyURI: httpsOnly(d.Client.PolicyURI), TosURI: httpsOnly(d.Client.TosURI), UserEmail: p.User.Email, RequestID: d.Request.ID,
		Scopes: scopes})
	// The consent form's token is bound to the request and the session.
	pg.CSRF = h.csrfToken(c, "consent|"+d.Request.ID+"|"+sess.ID)
	pg.OrgBrand = h.orgBrand(c, d.Client)
	return h.sendPage(c, fiber.StatusOK, pageConsent, pg)
}

// consentSubmit is POST /oidc/consent (approve or deny).
func (h *handlers) consentSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("id"))
	_, sess := h.ssoSession(c)
	if sess == nil {
		return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
	}
	if !h.csrfValid(c, "consent|"+id+"|"+sess.ID) {
		return h.uiError(c, fiber.StatusForbidden, "oidc.error.form_expired")
	}
	approve := c.FormValue("action") == "approve"
	d, err := h.d.OIDC.Provider.Consent(c.UserContext(), id, *sess, approve, requestSource(c))
	if fe := fault.As(err); fe != nil && fe.Code == provider.CodeAccessDenied {
		h.d.OIDC.Provider.Abort(c.UserContext(), id)
		return h.errorRedirect(c, d.Request, provider.CodeAccessDenied, "The user denied access")
	}
	return h.proceed(c, d, err, "", "")
}

// orgSelectPage is GET /oidc/org?id=: the organization selection of a
// request with the organization scope (several organizations).
func (h *handlers) orgSelectPage(c *fiber.Ctx) error {
	id := strings.Clone(c.Query("id"))
	_, sess := h.ssoSession(c)
	if sess == nil {
		return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
	}
	d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, sess, requestSource(c))
	if err != nil || d.Step != provider.StepOrg {
		return h.proceed(c, d, err, "", "")
	}
	return h.sendOrgSelect(c, fiber.StatusOK, d, "")
}

func (h *handlers) sendOrgSelect(c *fiber.Ctx, status int, d provider.Decision, errKey string) error {
	requestLocales(c, d.Request)
	v := orgSelectView{RequestID: d.Request.ID, ClientName: d.Client.Name, Error: errKey}
	for _, o := range d.Orgs {
		initial := "?"
		for _, r := range o.Name {
			initial = strings.ToUpper(string(r))
			break
		}
		v.Orgs = append(v.Orgs, orgChoiceView{ID: o.ID, Slug: o.Slug, Name: o.Name, LogoURL: httpsOnly(o.LogoURL), Initial: initial,
			RoleKey: "common.role." + o.Role})
	}
	pg := h.newPage(c, "oidc.org.title", v)
	pg.OrgBrand = h.orgBrand(c, d.Client)
	return h.sendPage(c, status, pageOrgSelect, pg)
}

// orgSelectSubmit is POST /oidc/org: the chosen organization.
func (h *handlers) orgSelectSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("id"))
	_, sess := h.ssoSession(c)
	if sess == nil {
		return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
	}
	if !h.uiCSRFValid(c) {
		return h.uiError(c, fiber.StatusForbidden, "oidc.error.form_expired")
	}
	d, err := h.d.OIDC.Provider.ChooseOrg(c.UserContext(), id, sess, strings.Clone(c.FormValue("org_id")), requestSource(c))
	if fault.Is(err, fault.Invalid) && fault.As(err).Code == "" && d.Step == provider.StepOrg {
		return h.sendOrgSelect(c, fiber.StatusBadRequest, d, "oidc.org.error.invalid")
	}
	return h.proceed(c, d, err, "", "")
}

// loggedOutPage is where end_session lands without a post-logout URI.
func (h *handlers) loggedOutPage(c *fiber.Ctx) error {
	return h.messagePage(c, fiber.StatusOK, "oidc.signed_out_title", messageView{Message: "oidc.signed_out", Detail: "oidc.close_window"})
}

// scopeDescription describes a scope to the user (a catalogue key and its
// arguments).
func scopeDescription(s string) scopeItem {
	switch s {
	case oidc.ScopeOpenID, oidc.ScopeProfile, oidc.ScopeEmail, oidc.ScopeOfflineAccess, oidc.ScopeRoles, oidc.ScopeOrganization:
		return scopeItem{Key: "oidc.scope." + s}
	}
	if slug, ok := strings.CutPrefix(s, oidc.ScopeOrgPrefix); ok {
		return scopeItem{Key: "oidc.scope.org", Args: []any{slug}}
	}
	return scopeItem{Key: "oidc.scope.other", Args: []any{s}}
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
	app.Post("/oidc/login", h.pageLimit("login", h.d.Limits.Login), h.loginSubmit)
	app.Post("/oidc/mfa", h.pageLimit("oidc-mfa", h.d.Limits.TOTPVerify), h.mfaSubmit)
	app.Post("/oidc/mfa/passkey", h.pageLimit("oidc-mfa", h.d.Limits.TOTPVerify), h.mfaPasskeySubmit)
	app.Get("/oidc/consent", h.consentPage)
	app.Post("/oidc/consent", h.consentSubmit)
	app.Get("/oidc/org", h.orgSelectPage)
	app.Post("/oidc/org", h.orgSelectSubmit)
	app.Get("/oidc/logged-out", h.loggedOutPage)
	app.Get("/oidc/logout", h.logoutPage)
	app.Post("/oidc/logout", h.logoutSubmit)
	app.Get("/oidc/device", h.devicePage)
	app.Post("/oidc/device", h.pageLimit("oidc-device", h.d.Limits.Login), h.deviceSubmit)
	v1.Get("/users/me/consents", h.requireSession, h.listConsents)
	v1.Delete("/users/me/consents/:client_id", h.requireSession, h.revokeConsent)
	h.securityRoutes(app)
	h.mountOIDC(app)
	return nil
}
