package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/provider"
)

// mfaView is the hosted second-factor page (/oidc/mfa for an OIDC
// request, /login/mfa for a local sign-in): a code form and/or a passkey
// button (web/static/js/passkey.js). Error is a catalogue key.
type mfaView struct {
	// RequestID and Next are the continuation.
	RequestID, Next          string
	ClientName, PendingToken string
	Error                    string
	ShowCode, ShowPasskey    bool
	Action, PasskeyAction    string
	RestartHref              string
}

// afterFirstFactor continues a hosted login of the OIDC request id after
// the login state machine's step: a pending login shows the second-factor
// page; a compliance-only session goes to the enrolment flow (the security
// page; the cookie holds the restricted session, which SSO never accepts);
// a full session sets the SSO cookie and lets the provider finish the
// request.
func (h *handlers) afterFirstFactor(c *fiber.Ctx, id string, res account.LoginResult) error {
	cont := loginContinuation{RequestID: id}
	if res.Pending != nil {
		d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, nil, requestSource(c))
		if err != nil && !fault.Is(err, fault.Invalid) {
			return h.proceed(c, d, err, "", "")
		}
		requestLocales(c, d.Request)
		return h.sendMFA(c, fiber.StatusOK, cont, &d, res.Pending, "")
	}
	if res.Session.ComplianceOnly {
		return h.complianceContinue(c, res, "/oidc/login?id="+url.QueryEscape(id))
	}
	h.setSSOCookie(c, res.Token, res.Session.ExpiresAt)
	sess := &provider.Session{ID: res.Session.ID, UserID: res.User.ID, AuthTime: res.Session.AuthTime, AMR: res.Session.AMR}
	d, err := h.d.OIDC.Provider.Next(c.UserContext(), id, sess, requestSource(c))
	return h.proceed(c, d, err, "", "")
}

// complianceContinue sends a compliance-only sign-in to the enrolment
// flow: the security page (an allow-listed use of the restricted session)
// with a way back to back (a local path). The cookie carries the
// restricted session, which SSO ignores (ssoSession requires full access).
func (h *handlers) complianceContinue(c *fiber.Ctx, res account.LoginResult, back string) error {
	if h.d.MFA == nil {
		return h.messagePage(c, fiber.StatusForbidden, "mfa.compliance_title", messageView{
			Message: "mfa.compliance", Detail: "mfa.compliance_detail", IsError: true})
	}
	h.setSSOCookie(c, res.Token, res.Session.ExpiresAt)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/account/security?continue="+url.QueryEscape(safePath(back)), fiber.StatusSeeOther)
}

// sendMFA renders the second-factor page for the pending login p; d is
// the OIDC decision (nil for a local sign-in).
func (h *handlers) sendMFA(c *fiber.Ctx, status int, cont loginContinuation, d *provider.Decision, p *account.PendingLogin, errKey string) error {
	v := mfaView{RequestID: cont.RequestID, Next: cont.Next, PendingToken: p.Token, Error: errKey, //nolint:gosec // form fields, not hardcoded credentials
		ShowCode: p.TOTPAccepted, ShowPasskey: p.RequiresWebAuthn,
		Action: "/login/mfa", PasskeyAction: "/login/mfa/passkey", RestartHref: "/login"}
	if q := cont.query(); q != "" {
		v.RestartHref = "/login?" + q
	}
	if cont.RequestID != "" {
		v.Action, v.PasskeyAction = "/oidc/mfa", "/oidc/mfa/passkey"
		v.RestartHref = "/oidc/login?id=" + url.QueryEscape(cont.RequestID)
	}
	if d != nil {
		v.ClientName = d.Client.Name
	}
	return h.sendSignInStep(c, status, pageMFA, "mfa.title", v, d, v.ShowPasskey)
}

// mfaSubmit is POST /oidc/mfa and /login/mfa: the TOTP or backup code
// step of a hosted login, through the same login state machine as the
// REST API.
func (h *handlers) mfaSubmit(c *fiber.Ctx) error {
	cont, ok, err := h.secondStepStart(c)
	if !ok {
		return err
	}
	pending := strings.Clone(c.FormValue("pending_token"))
	res, err := h.d.Accounts.CompleteTOTP(c.UserContext(), account.TOTPStepInput{
		PendingToken: pending, Code: strings.TrimSpace(strings.Clone(c.FormValue("code"))), IsBackupCode: c.FormValue("is_backup_code") != "",
	}, requestSource(c))
	return h.afterSecondStep(c, cont, pending, res, err)
}

// mfaPasskeySubmit is POST /oidc/mfa/passkey and /login/mfa/passkey: the
// passkey step of a hosted login (the assertion made by
// web/static/js/passkey.js).
func (h *handlers) mfaPasskeySubmit(c *fiber.Ctx) error {
	cont, ok, err := h.secondStepStart(c)
	if !ok {
		return err
	}
	pending := strings.Clone(c.FormValue("pending_token"))
	res, err := h.d.Accounts.CompletePasskeyLogin(c.UserContext(), account.PasskeyFinishInput{
		PendingToken: pending, CeremonyToken: strings.Clone(c.FormValue("session_token")), Credential: []byte(c.FormValue("credential")),
	}, requestSource(c))
	return h.afterSecondStep(c, cont, pending, res, err)
}

// secondStepStart checks a second-step form: its CSRF token and, for an
// OIDC request, that the request is still alive. ok false means the
// answer has been written (err is its result).
func (h *handlers) secondStepStart(c *fiber.Ctx) (loginContinuation, bool, error) {
	cont := continuationFrom(c)
	if !h.uiCSRFValid(c) {
		return cont, false, h.uiError(c, fiber.StatusForbidden, "oidc.error.form_expired")
	}
	if cont.RequestID != "" {
		a, err := h.d.OIDC.Provider.AuthRequest(c.UserContext(), cont.RequestID)
		if err != nil {
			return cont, false, h.proceed(c, provider.Decision{}, err, "", "")
		}
		requestLocales(c, a)
	}
	return cont, true, nil
}

// afterSecondStep shows the outcome of a hosted second step: the next
// page, or the form again with a message.
func (h *handlers) afterSecondStep(c *fiber.Ctx, cont loginContinuation, pending string, res account.LoginResult, err error) error {
	if err == nil {
		return h.signInContinue(c, res, cont)
	}
	var d *provider.Decision
	if cont.RequestID != "" {
		dd, nerr := h.d.OIDC.Provider.Next(c.UserContext(), cont.RequestID, nil, requestSource(c))
		if nerr != nil && !fault.Is(nerr, fault.Invalid) {
			return h.proceed(c, dd, nerr, "", "")
		}
		d = &dd
	}
	restart := func() error {
		if d != nil {
			d.Step = provider.StepLogin
			return h.proceed(c, *d, nil, "login.error.expired", "")
		}
		return h.renderLogin(c, fiber.StatusUnauthorized, cont, nil, "", "login.error.expired")
	}
	if fe := fault.As(err); fe != nil && fe.Code == "INVALID_TOKEN" {
		// The pending login expired or used up its attempts: start over.
		return restart()
	}
	// The form is shown again for the same pending login; what it offers
	// comes from the pending login itself.
	p, perr := h.d.Accounts.PendingInfo(c.UserContext(), pending)
	if perr != nil {
		return restart()
	}
	switch {
	case fault.Is(err, fault.RateLimited):
		return h.sendMFA(c, fiber.StatusTooManyRequests, cont, d, p, "mfa.error.rate_limited")
	case fault.Is(err, fault.Unauthenticated), fault.Is(err, fault.Invalid), fault.Is(err, fault.NotFound):
		return h.sendMFA(c, fiber.StatusUnauthorized, cont, d, p, "mfa.error.invalid")
	}
	logger(c).Error("hosted second factor failed", "error", err.Error())
	return h.uiError(c, fiber.StatusInternalServerError, "login.error.unavailable")
}
