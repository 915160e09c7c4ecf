package httpapi

import (
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
)

// Security page names.
const (
	pageSecurity = "security"
	pageTOTP     = "totp"
	pageReauth   = "reauth"
	pageCodes    = "codes"
)

// securityView is the signed-in user's security page (/account/security).
type securityView struct {
	TOTPEnabled          bool
	BackupCodesRemaining int
	Passkeys             []passkeyRow
	// ComplianceOnly shows the banner of a session that may only set up
	// the second factor an organization requires.
	ComplianceOnly bool
	Deadline       *time.Time
	// MissingKey names the methods still to set up (catalogue key).
	MissingKey string
	// Continue is the sign-in to resume once the requirement is met.
	Continue string
	// RequirementMet says a compliance-only session has now set up what
	// its organizations require (it must sign in again to continue).
	RequirementMet bool
}

// passkeyRow is one passkey on the security page.
type passkeyRow struct {
	ID, Name string
	Created  time.Time
	LastUsed *time.Time
}

// totpView is the TOTP enrolment page: QR code, manual key, confirm form.
type totpView struct {
	QRCode     template.URL
	Secret     string
	Continue   string
	Compliance bool
	// Error is a catalogue key.
	Error string
}

// codesView shows backup codes once.
type codesView struct {
	Codes    []string
	Continue string
}

// reauthView is the step-up form.
type reauthView struct {
	// Next is the account page to return to.
	Next    string
	HasTOTP bool
	// HasPassword shows the password field; HasPasskey the passkey
	// button (web/static/js/passkey.js, data-passkey-reauth).
	HasPassword bool
	HasPasskey  bool
	// Error is a catalogue key.
	Error string
}

// continueURL is the same-site sign-in to go back to after enrolment: the
// hosted login of an auth request or of a local page as given; any other
// local page becomes a new sign-in to it (the compliance-only session does
// not open it). "" when raw is not a local path.
func continueURL(raw string) string {
	if raw == "" || strings.ContainsAny(raw, "\r\n\\") || safePath(raw) != raw {
		return ""
	}
	if strings.HasPrefix(raw, "/oidc/login?id=") || strings.HasPrefix(raw, "/login?") {
		return raw
	}
	if raw == "/" || raw == "/login" || strings.HasPrefix(raw, "/account/security") {
		return ""
	}
	return "/login?next=" + url.QueryEscape(raw)
}

// securityBack is the security page, keeping the sign-in to continue.
func securityBack(cont string) string {
	if cont == "" {
		return "/account/security"
	}
	return "/account/security?continue=" + url.QueryEscape(cont)
}

// missingKey names the methods an organization still requires.
func missingKey(missing []string) string {
	has := map[string]bool{}
	for _, m := range missing {
		has[m] = true
	}
	switch {
	case has["totp"] && has["webauthn"]:
		return "security.method.totp_and_passkey"
	case has["totp"]:
		return "security.method.totp"
	case has["webauthn"]:
		return "security.method.passkey"
	case has["totp_or_webauthn"]:
		return "security.method.totp_or_passkey"
	}
	return "security.method.any"
}

// securityGet is GET /account/security (compliance-only sessions too).
func (h *handlers) securityGet(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	ctx := c.UserContext()
	st, err := h.d.MFA.StatusTOTP(ctx, p.User.ID)
	if err != nil {
		logger(c).Error("security page: totp status", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	pks, err := h.d.MFA.ListPasskeys(ctx, p.User.ID)
	if err != nil {
		logger(c).Error("security page: passkeys", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	v := securityView{TOTPEnabled: st.Enabled, BackupCodesRemaining: st.BackupCodesRemaining, ComplianceOnly: !p.FullAccess(),
		Continue: continueURL(strings.Clone(c.Query("continue")))}
	for _, k := range pks {
		v.Passkeys = append(v.Passkeys, viewPasskeyRow(k))
	}
	if v.ComplianceOnly {
		v.MissingKey = "security.method.any"
		if agg, err := h.d.MFA.EvaluateUser(ctx, p.User.ID, requestSource(c)); err == nil {
			v.MissingKey, v.Deadline = missingKey(agg.Missing), agg.Deadline
			// Set up now: the restricted session is not upgraded in
			// place, so the way on is a new sign-in.
			v.RequirementMet = len(agg.Missing) == 0
		}
		if v.RequirementMet && v.Continue == "" {
			v.Continue = continueURL("/account")
		}
	}
	pg := h.accountPage(c, "security.title", v)
	pg.Scripts = []string{"/static/js/passkey.js"}
	return h.sendPage(c, fiber.StatusOK, pageSecurity, pg)
}

func viewPasskeyRow(k mfa.Passkey) passkeyRow {
	return passkeyRow{ID: k.ID, Name: k.Name, Created: k.CreatedAt, LastUsed: k.LastUsedAt}
}

// totpEnrollPage is POST /account/security/totp/enroll: a new enrolment
// (QR code and manual key) and the confirm form.
func (h *handlers) totpEnrollPage(c *fiber.Ctx) error {
	return h.showEnrollment(c, uiPrincipal(c), "", fiber.StatusOK)
}

func (h *handlers) showEnrollment(c *fiber.Ctx, p account.Principal, errKey string, status int) error {
	cont := continueURL(strings.Clone(c.FormValue("continue")))
	en, err := h.d.MFA.EnrollTOTP(c.UserContext(), p.User, requestSource(c))
	if err != nil {
		return h.accountFail(c, securityBack(cont), "totp enroll", err)
	}
	if !strings.HasPrefix(en.QRCode, "data:image/png;base64,") {
		return h.accountFail(c, securityBack(cont), "totp enroll", fault.E("httpapi.showEnrollment", fault.Internal, "QR code is not a PNG data URI"))
	}
	// A PNG data URI made by the core (checked above): safe as an img src.
	qr := template.URL(en.QRCode) //nolint:gosec // checked data:image/png URI from the core
	pg := h.accountPage(c, "security.totp.title", totpView{QRCode: qr, Secret: en.Secret, Continue: cont, Compliance: !p.FullAccess(), Error: errKey})
	pg.Scripts = []string{"/static/js/ui.js"}
	return h.sendPage(c, status, pageTOTP, pg)
}

// totpConfirmPage is POST /account/security/totp/confirm: the first code
// turns TOTP on; fresh backup codes are shown once.
func (h *handlers) totpConfirmPage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	cont := continueURL(strings.Clone(c.FormValue("continue")))
	if err := h.d.MFA.VerifyEnrollment(c.UserContext(), p.User, strings.Clone(c.FormValue("code")), requestSource(c)); err != nil {
		if fe := fault.As(err); fe != nil && (fe.Kind == fault.Unauthenticated || fe.Kind == fault.Invalid) {
			// The secret is not kept in the page: a new one is shown.
			return h.showEnrollment(c, p, "security.totp.error.mismatch", fiber.StatusUnauthorized)
		}
		return h.accountFail(c, securityBack(cont), "totp confirm", err)
	}
	// The enrolment's codes were never shown: new ones, shown once now
	// (the code just checked is the fresh proof).
	codes, err := h.d.MFA.RegenerateBackupCodes(c.UserContext(), p.User, mfaflow.Proof{RecentAuth: true}, requestSource(c))
	if err != nil {
		return h.accountFail(c, securityBack(cont), "backup codes", err)
	}
	return h.showCodes(c, codes, cont)
}

func (h *handlers) showCodes(c *fiber.Ctx, codes []string, cont string) error {
	pg := h.accountPage(c, "security.codes.title", codesView{Codes: codes, Continue: cont})
	pg.Scripts = []string{"/static/js/ui.js"}
	return h.sendPage(c, fiber.StatusOK, pageCodes, pg)
}

// totpDisablePage is POST /account/security/totp/disable (step-up,
// confirmation).
func (h *handlers) totpDisablePage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if ok, err := h.uiStepUp(c, p, "/account/security"); !ok {
		return err
	}
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionAccount, confirmView{Message: "security.totp.disable_confirm", Button: "security.totp.disable",
			Action: "/account/security/totp/disable", Back: "/account/security"})
	}
	if err := h.d.MFA.DisableTOTP(c.UserContext(), p.User, mfaflow.Proof{RecentAuth: true}, requestSource(c)); err != nil {
		return h.accountFail(c, "/account/security", "totp disable", err)
	}
	return h.redirectFlash(c, "/account/security", "success", "security.totp.disabled")
}

// backupCodesPage is POST /account/security/totp/backup-codes (step-up,
// confirmation: the old codes stop working).
func (h *handlers) backupCodesPage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if ok, err := h.uiStepUp(c, p, "/account/security"); !ok {
		return err
	}
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionAccount, confirmView{Message: "security.codes.regenerate_confirm", Button: "security.codes.regenerate",
			Action: "/account/security/totp/backup-codes", Back: "/account/security"})
	}
	codes, err := h.d.MFA.RegenerateBackupCodes(c.UserContext(), p.User, mfaflow.Proof{RecentAuth: true}, requestSource(c))
	if err != nil {
		return h.accountFail(c, "/account/security", "backup codes", err)
	}
	return h.showCodes(c, codes, "")
}

// reauthNext is the account page a step-up returns to.
func reauthNext(raw string) string {
	if p := safePath(raw); p == "/account" || strings.HasPrefix(p, "/account/") {
		return p
	}
	return "/account/security"
}

// reauthView returns the step-up form for p, returning to next: the
// password field (unless the account has none), the code field with TOTP,
// the passkey button with a passkey.
func (h *handlers) reauthView(c *fiber.Ctx, p account.Principal, next string) reauthView {
	ctx := c.UserContext()
	view := reauthView{Next: next, HasPassword: true}
	st, _ := h.d.MFA.StatusTOTP(ctx, p.User.ID)
	view.HasTOTP = st.Enabled
	if pk, err := h.d.MFA.StatusPasskeys(ctx, p.User.ID); err == nil {
		view.HasPasskey = pk.Enabled
	}
	if me, err := h.d.Accounts.Me(ctx, p); err == nil {
		// Without another way in, the password field stays.
		view.HasPassword = me.HasPassword || (!view.HasTOTP && !view.HasPasskey)
	}
	return view
}

// reauthPage is GET and POST /account/reauth: the step-up form (password
// or a code from the authenticator app; the passkey button posts to
// /account/reauth/passkey).
func (h *handlers) reauthPage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	post := c.Method() == fiber.MethodPost
	next := reauthNext(strings.Clone(c.Query("next")))
	if post {
		next = reauthNext(strings.Clone(c.FormValue("next")))
	}
	// Only a POST (CSRF-checked and rate limited) checks a password: the
	// GET route also answers HEAD, and FormValue reads the query too, so
	// "anything but GET" let HEAD ?password= guess without either.
	if !post {
		return h.sendReauth(c, fiber.StatusOK, h.reauthView(c, p, next))
	}
	_, err := h.d.Accounts.Reauthenticate(c.UserContext(), p, account.ReauthInput{Password: c.FormValue("password"),
		Code: strings.Clone(c.FormValue("code"))}, requestSource(c))
	if err != nil {
		return h.reauthFailed(c, p, next, "security.reauth.error.failed", err)
	}
	return h.redirectFlash(c, next, "success", "security.reauth.done")
}

// reauthFailed shows the step-up form again with the error errKey (or the
// rate-limit message).
func (h *handlers) reauthFailed(c *fiber.Ctx, p account.Principal, next, errKey string, err error) error {
	fe := fault.As(err)
	if fe == nil || fe.Kind == fault.Internal {
		logger(c).Error("security page: reauthenticate", "error", err.Error())
	}
	view := h.reauthView(c, p, next)
	view.Error = errKey
	if fault.Is(err, fault.RateLimited) {
		view.Error = "common.error.rate_limited"
	}
	return h.sendReauth(c, fiber.StatusUnauthorized, view)
}

func (h *handlers) sendReauth(c *fiber.Ctx, status int, view reauthView) error {
	pg := h.accountPage(c, "security.reauth.title", view)
	if view.HasPasskey {
		pg.Scripts = []string{"/static/js/passkey.js"}
	}
	return h.sendPage(c, status, pageReauth, pg)
}

// reauthPasskeyBegin is POST /account/reauth/passkey/begin (fetch from
// web/static/js/passkey.js with the form's CSRF token): the request
// options of a passkey step-up of this session.
func (h *handlers) reauthPasskeyBegin(c *fiber.Ctx) error {
	ch, err := h.d.Accounts.BeginPasskeyReauth(c.UserContext(), uiPrincipal(c))
	if err != nil {
		return fail(c, err)
	}
	return rawOptions(c, ch)
}

// reauthPasskeyPage is POST /account/reauth/passkey: the assertion made by
// web/static/js/passkey.js renews the session's proof, then the validated
// next page follows, as after the password.
func (h *handlers) reauthPasskeyPage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	next := reauthNext(strings.Clone(c.FormValue("next")))
	_, err := h.d.Accounts.Reauthenticate(c.UserContext(), p, account.ReauthInput{
		CeremonyToken: strings.Clone(c.FormValue("session_token")), Credential: []byte(c.FormValue("credential"))}, requestSource(c))
	if err != nil {
		return h.reauthFailed(c, p, next, "security.reauth.error.passkey", err)
	}
	return h.redirectFlash(c, next, "success", "security.reauth.done")
}

// passkeyRegisterBegin is POST /account/security/passkeys/begin (fetch
// from web/static/js/passkey.js with the form's CSRF token): the creation
// options.
func (h *handlers) passkeyRegisterBegin(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	ch, err := h.d.MFA.BeginRegistration(c.UserContext(), p.User, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return rawOptions(c, ch)
}

// passkeyRegisterFinish is POST /account/security/passkeys: the
// attestation made by web/static/js/passkey.js.
func (h *handlers) passkeyRegisterFinish(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	back := securityBack(continueURL(strings.Clone(c.FormValue("continue"))))
	_, err := h.d.MFA.FinishRegistration(c.UserContext(), p.User, strings.Clone(c.FormValue("session_token")), []byte(c.FormValue("credential")),
		strings.Clone(c.FormValue("name")), requestSource(c))
	if err != nil {
		if fe := fault.As(err); fe != nil && fe.Kind != fault.Internal && fe.Kind != fault.Unavailable && fe.Kind != fault.RateLimited {
			return h.redirectFlash(c, back, "error", "security.passkey.error.not_added")
		}
		return h.accountFail(c, back, "passkey register", err)
	}
	return h.redirectFlash(c, back, "success", "security.passkey.added")
}

// passkeyRenamePage is POST /account/security/passkeys/:id/rename.
func (h *handlers) passkeyRenamePage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if _, err := h.d.MFA.RenamePasskey(c.UserContext(), p.User, strings.Clone(c.Params("id")), strings.Clone(c.FormValue("name")), requestSource(c)); err != nil {
		return h.accountFail(c, "/account/security", "passkey rename", err)
	}
	return h.redirectFlash(c, "/account/security", "success", "security.passkey.renamed")
}

// passkeyDeletePage is POST /account/security/passkeys/:id/delete
// (step-up, confirmation; the core refuses the last way to sign in and
// the page shows its reason).
func (h *handlers) passkeyDeletePage(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if ok, err := h.uiStepUp(c, p, "/account/security"); !ok {
		return err
	}
	id := strings.Clone(c.Params("id"))
	if !formConfirmed(c) {
		name := id
		if pks, err := h.d.MFA.ListPasskeys(c.UserContext(), p.User.ID); err == nil {
			for _, k := range pks {
				if k.ID == id {
					name = k.Name
				}
			}
		}
		return h.uiConfirm(c, SectionAccount, confirmView{Message: "security.passkey.delete_confirm", Args: []any{name},
			Button: "security.passkey.delete", Action: "/account/security/passkeys/" + url.PathEscape(id) + "/delete", Back: "/account/security"})
	}
	if err := h.d.MFA.DeletePasskey(c.UserContext(), p.User, id, requestSource(c)); err != nil {
		return h.accountFail(c, "/account/security", "passkey delete", err)
	}
	return h.redirectFlash(c, "/account/security", "success", "security.passkey.deleted")
}

// mountSecurityPages registers the security pages under /account
// (compliance-only sessions may enrol: anySession) and the redirects from
// the old /security paths (links in older emails).
func (h *handlers) mountSecurityPages(app *fiber.App, auth, anySession fiber.Handler) {
	app.Get("/security", h.legacySecurityRedirect)
	app.Get("/security/*", h.legacySecurityRedirect)
	if h.d.MFA == nil {
		return
	}
	lim := h.pageLimit("security-pages", h.d.Limits.Login)
	app.Get("/account/security", anySession, h.securityGet)
	app.Post("/account/security/totp/enroll", anySession, lim, h.totpEnrollPage)
	app.Post("/account/security/totp/confirm", anySession, lim, h.totpConfirmPage)
	app.Post("/account/security/totp/disable", auth, lim, h.totpDisablePage)
	app.Post("/account/security/totp/backup-codes", auth, lim, h.backupCodesPage)
	app.Get("/account/reauth", auth, h.reauthPage)
	// The step-up shares the REST re-authentication's counter (one budget
	// for guessing the password, whichever door is used).
	app.Post("/account/reauth", auth, lim, h.pageLimit("reauthenticate", h.d.Limits.Login), h.reauthPage)
	app.Post("/account/reauth/passkey/begin", auth, lim, h.reauthPasskeyBegin)
	app.Post("/account/reauth/passkey", auth, lim, h.pageLimit("reauthenticate", h.d.Limits.Login), h.reauthPasskeyPage)
	app.Post("/account/security/passkeys/begin", anySession, lim, h.passkeyRegisterBegin)
	app.Post("/account/security/passkeys", anySession, lim, h.passkeyRegisterFinish)
	app.Post("/account/security/passkeys/:id/rename", auth, lim, h.passkeyRenamePage)
	app.Post("/account/security/passkeys/:id/delete", auth, lim, h.passkeyDeletePage)
}

// legacySecurityRedirect is GET /security and /security/*: the pages moved
// under /account (the query, e.g. continue=, is kept).
func (h *handlers) legacySecurityRedirect(c *fiber.Ctx) error {
	to := "/account/security"
	switch rest := strings.TrimPrefix(c.Path(), "/security"); {
	case rest == "/reauth":
		to = "/account/reauth"
	case rest != "" && rest != "/":
		to = "/account/security" + rest
	}
	if q := string(c.Request().URI().QueryString()); q != "" {
		to += "?" + q
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(safePath(to), fiber.StatusSeeOther)
}

// securityRoutes is kept for the call in oidcRoutes: the security pages
// are now registered by mountAccountPages.
func (h *handlers) securityRoutes(app *fiber.App) { _ = app }
