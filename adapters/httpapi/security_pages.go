package httpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/url"
	"strings"

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

// securityCSP is the security pages' policy: this origin's script (the
// passkey button) and fetch, and data: images (the TOTP QR code).
const securityCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// securityView is the signed-in user's security page.
type securityView struct {
	Email, Notice, Error                    string
	TOTPEnabled                             bool
	BackupCodesRemaining                    int
	Passkeys                                []passkeyRow
	ComplianceOnly                          bool
	Deadline, Missing                       string
	Continue                                string
	CSRFEnroll, CSRFDisable, CSRFCodes      string
	CSRFRegister, CSRFRename, CSRFDeletePKs string
}

// passkeyRow is one passkey on the security page.
type passkeyRow struct {
	ID, Name, Created, LastUsed string
}

// totpView is the TOTP enrolment page: QR code, manual key, confirm form.
type totpView struct {
	QRCode     template.URL
	Secret     string
	CSRF       string
	Error      string
	Continue   string
	Compliance bool
}

// codesView shows backup codes once.
type codesView struct {
	Codes    []string
	Continue string
}

// reauthView is the step-up form.
type reauthView struct {
	Next, CSRF, Error string
	HasTOTP           bool
}

// securitySession returns the browser's session from the SSO cookie,
// compliance-only sessions included (enrolment is on the allow-list).
func (h *handlers) securitySession(c *fiber.Ctx) (account.Principal, bool) {
	tok := h.ssoToken(c)
	if tok == "" {
		return account.Principal{}, false
	}
	p, err := h.d.Accounts.Authenticate(c.UserContext(), tok)
	if err != nil {
		return account.Principal{}, false
	}
	return p, true
}

// securityCSRF binds a security form to its purpose and the session (a
// synchronizer token: the session ID never leaves the server).
func (h *handlers) securityCSRF(p account.Principal, purpose string) string {
	m := hmac.New(sha256.New, h.d.OIDC.SecretKey)
	m.Write([]byte("secuird-security|" + purpose + "|" + p.Session.ID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *handlers) securityCSRFValid(c *fiber.Ctx, p account.Principal, purpose string) bool {
	want, _ := base64.RawURLEncoding.DecodeString(h.securityCSRF(p, purpose))
	got, err := base64.RawURLEncoding.DecodeString(c.FormValue("csrf_token"))
	return err == nil && hmac.Equal(got, want)
}

// sendSecurity writes a security page with its headers.
func (h *handlers) sendSecurity(c *fiber.Ctx, status int, name, title string, view any) error {
	body, err := h.pages.legacyRender(c, name, title, view)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentSecurityPolicy, securityCSP)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(body)
}

// securityGuard resolves the page's session and checks the form's CSRF
// token (for POST); full requires a full-access session.
func (h *handlers) securityGuard(c *fiber.Ctx, purpose string, full bool) (account.Principal, bool, error) {
	p, ok := h.securitySession(c)
	if !ok {
		return p, false, h.pages.send(c, fiber.StatusUnauthorized, pageMessage, "Sign in first", messageView{IsError: true,
			Message: "You are not signed in.", Detail: "Sign in to an application with your Secuird account, then come back to this page."})
	}
	if c.Method() == fiber.MethodPost && !h.securityCSRFValid(c, p, purpose) {
		return p, false, h.pages.errorPage(c, fiber.StatusForbidden, "The form has expired. Reload the page and try again.")
	}
	if full && !p.FullAccess() {
		return p, false, h.securityPage(c, p, "", "Set up two-factor authentication first, then sign in again.", fiber.StatusForbidden)
	}
	return p, true, nil
}

// continueURL is a same-site path to go back to after enrolment (the
// hosted login of an auth request), or "".
func continueURL(raw string) string {
	if strings.HasPrefix(raw, "/oidc/login?id=") && !strings.ContainsAny(raw, "\r\n\\") {
		return raw
	}
	return ""
}

// securityPage renders GET /security for p.
func (h *handlers) securityPage(c *fiber.Ctx, p account.Principal, notice, errMsg string, status int) error {
	ctx := c.UserContext()
	st, err := h.d.MFA.StatusTOTP(ctx, p.User.ID)
	if err != nil {
		logger(c).Error("security page: totp status", "error", err.Error())
		return h.pages.errorPage(c, fiber.StatusInternalServerError, "Your security settings are unavailable right now.")
	}
	pks, err := h.d.MFA.ListPasskeys(ctx, p.User.ID)
	if err != nil {
		logger(c).Error("security page: passkeys", "error", err.Error())
		return h.pages.errorPage(c, fiber.StatusInternalServerError, "Your security settings are unavailable right now.")
	}
	v := securityView{Email: p.User.Email, Notice: notice, Error: errMsg, TOTPEnabled: st.Enabled, BackupCodesRemaining: st.BackupCodesRemaining,
		ComplianceOnly: !p.FullAccess(), Continue: continueURL(strings.Clone(c.Query("continue"))),
		CSRFEnroll: h.securityCSRF(p, "totp-enroll"), CSRFDisable: h.securityCSRF(p, "totp-disable"), CSRFCodes: h.securityCSRF(p, "totp-codes"),
		CSRFRegister: h.securityCSRF(p, "passkey-register"), CSRFRename: h.securityCSRF(p, "passkey-rename"), CSRFDeletePKs: h.securityCSRF(p, "passkey-delete")}
	for _, k := range pks {
		v.Passkeys = append(v.Passkeys, viewPasskeyRow(k))
	}
	if v.ComplianceOnly {
		if agg, err := h.d.MFA.EvaluateUser(ctx, p.User.ID, requestSource(c)); err == nil {
			v.Missing = missingText(agg.Missing)
			if agg.Deadline != nil {
				v.Deadline = agg.Deadline.UTC().Format("2 January 2006 15:04 MST")
			}
		}
	}
	return h.sendSecurity(c, status, pageSecurity, "Security", v)
}

func viewPasskeyRow(k mfa.Passkey) passkeyRow {
	r := passkeyRow{ID: k.ID, Name: k.Name, Created: k.CreatedAt.UTC().Format("2 Jan 2006"), LastUsed: "never"}
	if k.LastUsedAt != nil {
		r.LastUsed = k.LastUsedAt.UTC().Format("2 Jan 2006")
	}
	return r
}

// securityGet is GET /security.
func (h *handlers) securityGet(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "", false)
	if !ok {
		return err
	}
	notice := ""
	switch c.Query("done") {
	case "totp-disabled":
		notice = "The authenticator app was removed."
	case "passkey-added":
		notice = "Passkey added."
	case "passkey-renamed":
		notice = "Passkey renamed."
	case "passkey-deleted":
		notice = "Passkey deleted."
	case "reauth":
		notice = "Thanks, you can make the change now."
	}
	return h.securityPage(c, p, notice, "", fiber.StatusOK)
}

// securityErr shows a use-case error on the security page.
func (h *handlers) securityErr(c *fiber.Ctx, p account.Principal, where string, err error) error {
	fe := fault.As(err)
	switch {
	case fe == nil || fe.Kind == fault.Internal:
		logger(c).Error("security page: "+where, "error", err.Error())
		return h.securityPage(c, p, "", "That did not work. Try again later.", fiber.StatusInternalServerError)
	}
	status := fiber.StatusBadRequest
	if int(fe.Kind) < len(kindTable) && kindTable[fe.Kind].status != 0 {
		status = kindTable[fe.Kind].status
	}
	return h.securityPage(c, p, "", fe.Msg, status)
}

// stepUpRedirect sends the browser to the re-authenticate form when the
// session's last proof is too old; ok is true when the change may go on.
func (h *handlers) stepUpRedirect(c *fiber.Ctx, p account.Principal) (bool, error) {
	if h.d.Accounts.RequireRecentAuth(p) == nil {
		return true, nil
	}
	return false, c.Redirect("/security/reauth", fiber.StatusSeeOther)
}

// totpEnrollPage is POST /security/totp/enroll: a new enrolment (QR code
// and manual key) and the confirm form.
func (h *handlers) totpEnrollPage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "totp-enroll", false)
	if !ok {
		return err
	}
	return h.showEnrollment(c, p, "", fiber.StatusOK)
}

func (h *handlers) showEnrollment(c *fiber.Ctx, p account.Principal, msg string, status int) error {
	en, err := h.d.MFA.EnrollTOTP(c.UserContext(), p.User, requestSource(c))
	if err != nil {
		return h.securityErr(c, p, "totp enroll", err)
	}
	if !strings.HasPrefix(en.QRCode, "data:image/png;base64,") {
		return h.securityErr(c, p, "totp enroll", fault.E("httpapi.showEnrollment", fault.Internal, "QR code is not a PNG data URI"))
	}
	// A PNG data URI made by the core (checked above): safe as an img src.
	qr := template.URL(en.QRCode) //nolint:gosec // checked data:image/png URI from the core
	return h.sendSecurity(c, status, pageTOTP, "Set up an authenticator app", totpView{QRCode: qr, Secret: en.Secret,
		CSRF: h.securityCSRF(p, "totp-confirm"), Error: msg, Continue: continueURL(strings.Clone(c.FormValue("continue"))), Compliance: !p.FullAccess()})
}

// totpConfirmPage is POST /security/totp/confirm: the first code turns
// TOTP on; fresh backup codes are shown once.
func (h *handlers) totpConfirmPage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "totp-confirm", false)
	if !ok {
		return err
	}
	if err := h.d.MFA.VerifyEnrollment(c.UserContext(), p.User, strings.Clone(c.FormValue("code")), requestSource(c)); err != nil {
		if fe := fault.As(err); fe != nil && (fe.Kind == fault.Unauthenticated || fe.Kind == fault.Invalid) {
			// The secret is not kept in the page: a new one is shown.
			return h.showEnrollment(c, p, "That code did not match. Add this new key to your app and try again.", fiber.StatusUnauthorized)
		}
		return h.securityErr(c, p, "totp confirm", err)
	}
	// The enrolment's codes were never shown: new ones, shown once now
	// (the code just checked is the fresh proof).
	codes, err := h.d.MFA.RegenerateBackupCodes(c.UserContext(), p.User, mfaflow.Proof{RecentAuth: true}, requestSource(c))
	if err != nil {
		return h.securityErr(c, p, "backup codes", err)
	}
	return h.sendSecurity(c, fiber.StatusOK, pageCodes, "Save your backup codes", codesView{Codes: codes,
		Continue: continueURL(strings.Clone(c.FormValue("continue")))})
}

// totpDisablePage is POST /security/totp/disable (step-up).
func (h *handlers) totpDisablePage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "totp-disable", true)
	if !ok {
		return err
	}
	if ok, err := h.stepUpRedirect(c, p); !ok {
		return err
	}
	if err := h.d.MFA.DisableTOTP(c.UserContext(), p.User, mfaflow.Proof{RecentAuth: true}, requestSource(c)); err != nil {
		return h.securityErr(c, p, "totp disable", err)
	}
	return c.Redirect("/security?done=totp-disabled", fiber.StatusSeeOther)
}

// backupCodesPage is POST /security/totp/backup-codes (step-up).
func (h *handlers) backupCodesPage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "totp-codes", true)
	if !ok {
		return err
	}
	if ok, err := h.stepUpRedirect(c, p); !ok {
		return err
	}
	codes, err := h.d.MFA.RegenerateBackupCodes(c.UserContext(), p.User, mfaflow.Proof{RecentAuth: true}, requestSource(c))
	if err != nil {
		return h.securityErr(c, p, "backup codes", err)
	}
	return h.sendSecurity(c, fiber.StatusOK, pageCodes, "Save your backup codes", codesView{Codes: codes})
}

// reauthPage is GET and POST /security/reauth: the step-up form.
func (h *handlers) reauthPage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "reauth", true)
	if !ok {
		return err
	}
	st, _ := h.d.MFA.StatusTOTP(c.UserContext(), p.User.ID)
	view := reauthView{CSRF: h.securityCSRF(p, "reauth"), HasTOTP: st.Enabled}
	if c.Method() == fiber.MethodGet {
		return h.sendSecurity(c, fiber.StatusOK, pageReauth, "Confirm it is you", view)
	}
	_, err = h.d.Accounts.Reauthenticate(c.UserContext(), p, account.ReauthInput{Password: c.FormValue("password"),
		Code: strings.Clone(c.FormValue("code"))}, requestSource(c))
	if err != nil {
		fe := fault.As(err)
		if fe == nil || fe.Kind == fault.Internal {
			logger(c).Error("security page: reauthenticate", "error", err.Error())
		}
		view.Error = "That did not work. Try again."
		if fault.Is(err, fault.RateLimited) {
			view.Error = "Too many failed attempts. Try again later."
		}
		return h.sendSecurity(c, fiber.StatusUnauthorized, pageReauth, "Confirm it is you", view)
	}
	return c.Redirect("/security?done=reauth", fiber.StatusSeeOther)
}

// passkeyRegisterBegin is POST /security/passkeys/begin (fetch from
// web/static/js/passkey.js): the creation options.
func (h *handlers) passkeyRegisterBegin(c *fiber.Ctx) error {
	p, ok := h.securitySession(c)
	if !ok || !h.securityCSRFValid(c, p, "passkey-register") {
		return fail(c, fault.E("httpapi.passkeyRegisterBegin", fault.Forbidden, "Reload the page and try again"))
	}
	ch, err := h.d.MFA.BeginRegistration(c.UserContext(), p.User, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return rawOptions(c, ch)
}

// passkeyRegisterFinish is POST /security/passkeys: the attestation made
// by web/static/js/passkey.js.
func (h *handlers) passkeyRegisterFinish(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "passkey-register", false)
	if !ok {
		return err
	}
	_, err = h.d.MFA.FinishRegistration(c.UserContext(), p.User, strings.Clone(c.FormValue("session_token")), []byte(c.FormValue("credential")),
		strings.Clone(c.FormValue("name")), requestSource(c))
	if err != nil {
		return h.securityErr(c, p, "passkey register", err)
	}
	next := "/security?done=passkey-added"
	if cont := continueURL(strings.Clone(c.FormValue("continue"))); cont != "" {
		next += "&continue=" + url.QueryEscape(cont)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// passkeyRenamePage is POST /security/passkeys/:id/rename.
func (h *handlers) passkeyRenamePage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "passkey-rename", true)
	if !ok {
		return err
	}
	if _, err := h.d.MFA.RenamePasskey(c.UserContext(), p.User, strings.Clone(c.Params("id")), strings.Clone(c.FormValue("name")), requestSource(c)); err != nil {
		return h.securityErr(c, p, "passkey rename", err)
	}
	return c.Redirect("/security?done=passkey-renamed", fiber.StatusSeeOther)
}

// passkeyDeletePage is POST /security/passkeys/:id/delete (step-up; the
// last-method rule answers with its message).
func (h *handlers) passkeyDeletePage(c *fiber.Ctx) error {
	p, ok, err := h.securityGuard(c, "passkey-delete", true)
	if !ok {
		return err
	}
	if ok, err := h.stepUpRedirect(c, p); !ok {
		return err
	}
	if err := h.d.MFA.DeletePasskey(c.UserContext(), p.User, strings.Clone(c.Params("id")), requestSource(c)); err != nil {
		return h.securityErr(c, p, "passkey delete", err)
	}
	return c.Redirect("/security?done=passkey-deleted", fiber.StatusSeeOther)
}

// securityRoutes registers the hosted security pages (/security, the link
// in the MFA emails).
func (h *handlers) securityRoutes(app *fiber.App) {
	if h.d.MFA == nil {
		return
	}
	lim := rateLimit(h.d.Limiter, "security-pages", h.d.Limits.Login...)
	app.Get("/security", h.securityGet)
	app.Post("/security/totp/enroll", lim, h.totpEnrollPage)
	app.Post("/security/totp/confirm", lim, h.totpConfirmPage)
	app.Post("/security/totp/disable", lim, h.totpDisablePage)
	app.Post("/security/totp/backup-codes", lim, h.backupCodesPage)
	app.Get("/security/reauth", h.reauthPage)
	app.Post("/security/reauth", lim, h.reauthPage)
	app.Post("/security/passkeys/begin", lim, h.passkeyRegisterBegin)
	app.Post("/security/passkeys", lim, h.passkeyRegisterFinish)
	app.Post("/security/passkeys/:id/rename", lim, h.passkeyRenamePage)
	app.Post("/security/passkeys/:id/delete", lim, h.passkeyDeletePage)
}

// missingText names the methods still to set up.
func missingText(missing []string) string {
	var out []string
	for _, m := range missing {
		switch m {
		case "totp":
			out = append(out, "an authenticator app")
		case "webauthn":
			out = append(out, "a passkey")
		case "totp_or_webauthn":
			out = append(out, "an authenticator app or a passkey")
		}
	}
	return strings.Join(out, " and ")
}
