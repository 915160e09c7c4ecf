package httpapi

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/adapters/i18n"
	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
)

// Account page names (web/templates/pages/account_*.html).
const (
	pageAccountProfile  = "account_profile"
	pageAccountPassword = "account_password"
	pageAccountSessions = "account_sessions"
	pageAccountApps     = "account_apps"
	pageAccountOrgs     = "account_orgs"
	pageAccountActivity = "account_activity"
)

// accountNav is the account section's sub-navigation.
func accountNav() []NavItem {
	return []NavItem{
		{Href: "/account", Label: "account.nav.profile"},
		{Href: "/account/security", Label: "account.nav.security"},
		{Href: "/account/sessions", Label: "account.nav.sessions"},
		{Href: "/account/apps", Label: "account.nav.apps"},
		{Href: "/account/organizations", Label: "account.nav.organizations"},
		{Href: "/account/activity", Label: "account.nav.activity"},
	}
}

// accountPage is shellPage for the account section with its
// sub-navigation; pages below an entry (password, TOTP set-up, step-up)
// mark that entry. The organizations page is also the top navigation's
// Organizations section.
func (h *handlers) accountPage(c *fiber.Ctx, titleKey string, view any) *page {
	path := c.Path()
	section := SectionAccount
	if path == "/account/organizations" {
		section = SectionOrgs
	}
	pg := h.shellPage(c, section, titleKey, view, accountNav()...)
	switch {
	case path == "/account/password":
		pg.SubNav[0].Current = true
	case strings.HasPrefix(path, "/account/security/"), path == "/account/reauth", path == "/account/reauth/passkey":
		pg.SubNav[1].Current = true
	}
	return pg
}

// mountAccountPages registers the account pages under /account (profile,
// password, security, sessions, connected apps, organizations, activity)
// and the redirects from the old /security paths.
func (h *handlers) mountAccountPages(app *fiber.App) {
	auth, anySession := h.uiAuth, h.uiAuthAny
	mail := h.pageLimit("resend-verification", h.d.Limits.Default)
	pw := h.pageLimit("account-password", h.d.Limits.Login)
	app.Get("/account", auth, h.profilePage)
	app.Post("/account/profile", auth, h.profileSubmit)
	app.Post("/account/verify-email", auth, mail, h.resendVerificationSubmit)
	app.Get("/account/password", auth, h.passwordPage)
	app.Post("/account/password", auth, pw, h.passwordSubmit)
	app.Post("/account/delete", auth, h.deleteAccountSubmit)

	app.Get("/account/sessions", auth, h.sessionsPage)
	app.Post("/account/sessions/revoke-others", auth, h.revokeOthersSubmit)
	app.Post("/account/sessions/:id/revoke", auth, h.revokeSessionSubmit)

	app.Get("/account/apps", auth, h.appsPage)
	app.Post("/account/apps/:client_id/revoke", auth, h.revokeAppSubmit)

	app.Get("/account/organizations", auth, h.orgsPage)
	app.Post("/account/organizations", auth, h.createOrgSubmit)
	app.Post("/account/invites/:id/accept", auth, h.acceptInviteSubmit)
	app.Post("/account/invites/:id/decline", auth, h.declineInviteSubmit)

	app.Get("/account/activity", auth, h.activityPage)

	h.mountSecurityPages(app, auth, anySession)
}

// accountFail answers a failed account action: NotFound is the not-found
// page; an internal failure is logged; anything else returns to back with
// the error as a flash message.
func (h *handlers) accountFail(c *fiber.Ctx, back, where string, err error) error {
	fe := fault.As(err)
	switch {
	case fe == nil || fe.Kind == fault.Internal || fe.Kind == fault.Unavailable:
		logger(c).Error("account page: "+where, "error", err.Error())
	case fe.Kind == fault.NotFound:
		return h.uiNotFound(c)
	}
	return h.redirectFlash(c, back, "error", coreFlashKey(err))
}

// uiStepUp sends the browser to the re-authentication form when the
// session's last proof is too old for a sensitive change; back is where it
// returns afterwards. ok is true when the change may go on.
func (h *handlers) uiStepUp(c *fiber.Ctx, p account.Principal, back string) (bool, error) {
	if h.d.Accounts.RequireRecentAuth(p) == nil {
		return true, nil
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return false, c.Redirect("/account/reauth?next="+url.QueryEscape(back), fiber.StatusSeeOther)
}

// hasKey reports whether the catalogue knows key (in English, which has
// every key).
func hasKey(cat *i18n.Catalog, key string) bool {
	_, ok := cat.Lookup("en", key)
	return ok
}

// accountProfileView is the profile page.
type accountProfileView struct {
	Email, FullName, AvatarURL string
	// AvatarSrc is the picture shown (https only: the pages' CSP).
	AvatarSrc     string
	EmailVerified bool
	MemberSince   time.Time
	LastLogin     *time.Time
	LastLoginIP   string
	HasPassword   bool
	// Errors are catalogue keys by field (full_name, avatar_url).
	Errors map[string]string
}

// profilePage is GET /account.
func (h *handlers) profilePage(c *fiber.Ctx) error {
	return h.renderProfile(c, uiPrincipal(c), nil, fiber.StatusOK)
}

func (h *handlers) renderProfile(c *fiber.Ctx, p account.Principal, form *accountProfileView, status int) error {
	me, err := h.d.Accounts.Me(c.UserContext(), p)
	if err != nil {
		logger(c).Error("account page: profile", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	u := me.User
	v := accountProfileView{Email: u.Email, FullName: u.FullName, AvatarURL: u.AvatarURL, EmailVerified: u.EmailVerified,
		MemberSince: u.CreatedAt, LastLogin: u.LastLoginAt, LastLoginIP: u.LastLoginIP, HasPassword: me.HasPassword}
	v.AvatarSrc = httpsOnly(u.AvatarURL)
	if form != nil {
		v.FullName, v.AvatarURL, v.Errors = form.FullName, form.AvatarURL, form.Errors
	}
	return h.sendPage(c, status, pageAccountProfile, h.accountPage(c, "account.profile.title", v))
}

// profileSubmit is POST /account/profile: name and avatar URL.
func (h *handlers) profileSubmit(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	name, avatar := strings.Clone(c.FormValue("full_name")), strings.Clone(c.FormValue("avatar_url"))
	_, err := h.d.Accounts.UpdateProfile(c.UserContext(), p, account.ProfileInput{FullName: &name, AvatarURL: &avatar}, requestSource(c))
	if fault.Is(err, fault.Invalid) {
		return h.renderProfile(c, p, &accountProfileView{FullName: name, AvatarURL: avatar, Errors: coreFieldKeys(err)}, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.accountFail(c, "/account", "update profile", err)
	}
	return h.redirectFlash(c, "/account", "success", "account.profile.saved")
}

// resendVerificationSubmit is POST /account/verify-email: a new
// verification email to the signed-in user's address.
func (h *handlers) resendVerificationSubmit(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if p.User.EmailVerified {
		return h.redirectFlash(c, "/account", "info", "account.profile.already_verified")
	}
	if err := h.d.Accounts.ResendVerification(c.UserContext(), p.User.Email); err != nil {
		return h.accountFail(c, "/account", "resend verification", err)
	}
	return h.redirectFlash(c, "/account", "success", "account.profile.verification_sent", p.User.Email)
}

// passwordView is the change-password form.
type passwordView struct {
	HasPassword bool
	// Errors are catalogue keys by field (current_password, new_password,
	// new_password_confirm).
	Errors map[string]string
}

// passwordPage is GET /account/password; a session whose last proof is
// too old confirms it first, before typing the new password.
func (h *handlers) passwordPage(c *fiber.Ctx) error {
	if ok, err := h.uiStepUp(c, uiPrincipal(c), "/account/password"); !ok {
		return err
	}
	return h.renderPassword(c, nil, fiber.StatusOK)
}

func (h *handlers) renderPassword(c *fiber.Ctx, errs map[string]string, status int) error {
	me, err := h.d.Accounts.Me(c.UserContext(), uiPrincipal(c))
	if err != nil {
		logger(c).Error("account page: password", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	v := passwordView{HasPassword: me.HasPassword, Errors: errs}
	return h.sendPage(c, status, pageAccountPassword, h.accountPage(c, "account.password.title", v))
}

// passwordSubmit is POST /account/password (step-up, as the REST
// change): the core checks the current password and the new one's
// strength and signs out every other session.
func (h *handlers) passwordSubmit(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if ok, err := h.uiStepUp(c, p, "/account/password"); !ok {
		return err
	}
	err := h.d.Accounts.ChangePassword(c.UserContext(), p, account.ChangePasswordInput{CurrentPassword: c.FormValue("current_password"),
		NewPassword: c.FormValue("new_password"), NewPasswordConfirm: c.FormValue("new_password_confirm")}, requestSource(c))
	if fault.Is(err, fault.Invalid) {
		errs := coreFieldKeys(err)
		if len(errs) == 0 {
			errs = map[string]string{"new_password": coreFlashKey(err)}
		}
		return h.renderPassword(c, errs, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.accountFail(c, "/account/password", "change password", err)
	}
	return h.redirectFlash(c, "/account", "success", "account.password.changed")
}

// deleteAccountSubmit is POST /account/delete: step-up, then a
// confirmation page, then the core's deletion (refused while the user is
// an organization's only owner); the browser is signed out.
func (h *handlers) deleteAccountSubmit(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if ok, err := h.uiStepUp(c, p, "/account"); !ok {
		return err
	}
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionAccount, confirmView{Message: "account.delete.confirm", Args: []any{p.User.Email},
			Button: "account.delete.button", Action: "/account/delete", Back: "/account"})
	}
	if err := h.d.Accounts.DeleteAccount(c.UserContext(), p, requestSource(c)); err != nil {
		return h.accountFail(c, "/account", "delete account", err)
	}
	h.clearSSOCookie(c)
	return h.redirectFlash(c, "/login", "success", "account.delete.done")
}
