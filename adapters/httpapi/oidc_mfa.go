package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/provider"
)

// mfaView is the hosted second-factor page: a code form and/or a passkey
// button (web/static/js/passkey.js).
type mfaView struct {
	ClientName, RequestID, CSRF, PasskeyCSRF, PendingToken, Error string
	ShowCode, ShowPasskey                                         bool
}

// mfaPageCSP is pageCSP plus this origin's script (the passkey button)
// and its fetch of the ceremony options.
const mfaPageCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' https:; frame-ancestors 'none'; base-uri 'none'"

// complianceMessage is what the hosted pages say to a user whose
// organization requires a second factor not set up yet (SEED-SPEC 9.5).
const complianceMessage = "Your account requires multi factor enrollment before you can sign in to applications."

// afterFirstFactor continues a hosted login after the login state
// machine's step: a pending login shows the second-factor page; a
// compliance-only session goes to the enrolment flow (the security page;
// the cookie holds the restricted session, which SSO never accepts); a full
// session sets the SSO cookie and lets the provider finish the request.
func (h *handlers) afterFirstFactor(c *fiber.Ctx, id string, res account.LoginResult) error {
	if res.Pending != nil {
		d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, nil, requestSource(c))
		if err != nil && !fault.Is(err, fault.Invalid) {
			return h.proceed(c, d, err, "", "")
		}
		return h.sendMFA(c, d, res.Pending, "", fiber.StatusOK)
	}
	if res.Session.ComplianceOnly {
		if h.d.MFA == nil {
			return h.pages.send(c, fiber.StatusForbidden, pageMessage, "Set up two-factor authentication", messageView{
				Message: complianceMessage, Detail: "Sign in to your account settings, set up the required method, then try again.", IsError: true})
		}
		// The enrolment flow: the security page (an allow-listed use of
		// the compliance-only session) with a way back to this request.
		// The cookie carries the restricted session, which SSO ignores
		// (ssoSession requires full access).
		h.setSSOCookie(c, res.Token, res.Session.ExpiresAt)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect("/security?continue="+url.QueryEscape("/oidc/login?id="+id), fiber.StatusSeeOther)
	}
	h.setSSOCookie(c, res.Token, res.Session.ExpiresAt)
	sess := &provider.Session{ID: res.Session.ID, UserID: res.User.ID, AuthTime: res.Session.AuthTime, AMR: res.Session.AMR}
	d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, sess, requestSource(c))
	return h.proceed(c, d, err, "", "")
}

func (h *handlers) sendMFA(c *fiber.Ctx, d provider.Decision, p *account.PendingLogin, msg string, status int) error {
	body, err := h.pages.legacyRender(c, pageMFA, "Two-factor authentication", mfaView{ClientName: d.Client.Name, RequestID: d.Request.ID,
		CSRF: h.csrfToken(c, "mfa|"+d.Request.ID), PasskeyCSRF: h.csrfToken(c, "mfa-passkey|"+d.Request.ID), PendingToken: p.Token,
		Error: msg, ShowCode: p.TOTPAccepted, ShowPasskey: p.RequiresWebAuthn})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentSecurityPolicy, mfaPageCSP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(body)
}

// mfaSubmit is POST /oidc/mfa: the TOTP or backup code step of a hosted
// login, through the same login state machine as the REST API.
func (h *handlers) mfaSubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("id"))
	if !h.csrfValid(c, "mfa|"+id) {
		return h.pages.errorPage(c, fiber.StatusForbidden, "The form has expired. Go back to the application and sign in again.")
	}
	if _, err := h.d.OIDC.Provider.AuthRequest(c.UserContext(), id); err != nil {
		return h.proceed(c, provider.Decision{}, err, "", "")
	}
	pending := strings.Clone(c.FormValue("pending_token"))
	res, err := h.d.Accounts.CompleteTOTP(c.UserContext(), account.TOTPStepInput{
		PendingToken: pending, Code: strings.Clone(c.FormValue("code")), IsBackupCode: c.FormValue("is_backup_code") != "",
	}, requestSource(c))
	return h.afterSecondStep(c, id, pending, res, err)
}

// mfaPasskeySubmit is POST /oidc/mfa/passkey: the passkey step of a hosted
// login (the assertion made by web/static/js/passkey.js).
func (h *handlers) mfaPasskeySubmit(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("id"))
	if !h.csrfValid(c, "mfa-passkey|"+id) {
		return h.pages.errorPage(c, fiber.StatusForbidden, "The form has expired. Go back to the application and sign in again.")
	}
	if _, err := h.d.OIDC.Provider.AuthRequest(c.UserContext(), id); err != nil {
		return h.proceed(c, provider.Decision{}, err, "", "")
	}
	pending := strings.Clone(c.FormValue("pending_token"))
	res, err := h.d.Accounts.CompletePasskeyLogin(c.UserContext(), account.PasskeyFinishInput{
		PendingToken: pending, CeremonyToken: strings.Clone(c.FormValue("session_token")), Credential: []byte(c.FormValue("credential")),
	}, requestSource(c))
	return h.afterSecondStep(c, id, pending, res, err)
}

// afterSecondStep shows the outcome of a hosted second step: the next
// page, or the form again with a message.
func (h *handlers) afterSecondStep(c *fiber.Ctx, id, pending string, res account.LoginResult, err error) error {
	if err != nil {
		d, nerr := h.d.OIDC.Provider.Next(c.UserContext(), id, nil, requestSource(c))
		if nerr != nil && !fault.Is(nerr, fault.Invalid) {
			return h.proceed(c, d, nerr, "", "")
		}
		fe := fault.As(err)
		switch {
		case fe != nil && fe.Code == "INVALID_TOKEN":
			// The pending login expired or used up its attempts: start over.
			d.Step = provider.StepLogin
			return h.proceed(c, d, nil, "The sign-in expired. Sign in again.", "")
		}
		// The form is shown again for the same pending login; what it
		// offers comes from the pending login itself.
		p, perr := h.d.Accounts.PendingInfo(c.UserContext(), pending)
		if perr != nil {
			d.Step = provider.StepLogin
			return h.proceed(c, d, nil, "The sign-in expired. Sign in again.", "")
		}
		switch {
		case fault.Is(err, fault.RateLimited):
			return h.sendMFA(c, d, p, "Too many failed attempts. Try again later.", fiber.StatusTooManyRequests)
		case fault.Is(err, fault.Unauthenticated), fault.Is(err, fault.Invalid), fault.Is(err, fault.NotFound):
			return h.sendMFA(c, d, p, "That did not work. Try again.", fiber.StatusUnauthorized)
		}
		logger(c).Error("oidc second factor failed", "error", err.Error())
		return h.pages.errorPage(c, fiber.StatusInternalServerError, "Sign-in is unavailable right now. Try again later.")
	}
	return h.afterFirstFactor(c, id, res)
}
