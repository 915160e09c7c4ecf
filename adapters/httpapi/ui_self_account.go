package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
)

// signInReturn is the sign-in continuation a self-service form carries
// along (an OIDC request or a local page; RequestID and Next) and the way
// back to the sign-in page with it.
type signInReturn struct {
	loginContinuation
	// LoginHref is the sign-in page with the same continuation.
	LoginHref string
}

// newSignInReturn is the continuation cont and the sign-in page with it.
func newSignInReturn(cont loginContinuation) signInReturn {
	r := signInReturn{loginContinuation: cont, LoginHref: "/login"}
	if q := cont.query(); q != "" {
		r.LoginHref += "?" + q
	}
	return r
}

// selfRegisterView is the registration form: what was typed (never the
// passwords), field errors as catalogue keys, and the sign-in
// continuation carried along.
type selfRegisterView struct {
	FullName, Email string
	Errors          map[string]string
	signInReturn
}

// newSelfRegisterView starts the form for the continuation cont.
func newSelfRegisterView(cont loginContinuation) selfRegisterView {
	return selfRegisterView{signInReturn: newSignInReturn(cont)}
}

// selfRegisterPage is GET /register: the sign-up form.
func (h *handlers) selfRegisterPage(c *fiber.Ctx) error {
	return h.sendPage(c, fiber.StatusOK, "register", h.newPage(c, "self.register.title", newSelfRegisterView(continuationFrom(c))))
}

// selfRegisterSubmit is POST /register: account.Register (the REST
// registration's use case), then the new session continues the sign-in
// (an OIDC login, or the local page) with a reminder to verify the email.
// A refused form is shown again with the problems at their fields; a taken
// email is reported at the field, as the REST API does.
func (h *handlers) selfRegisterSubmit(c *fiber.Ctx) error {
	cont := continuationFrom(c)
	v := newSelfRegisterView(cont)
	v.FullName, v.Email = strings.TrimSpace(c.FormValue("full_name")), strings.TrimSpace(c.FormValue("email"))
	r, err := h.d.Accounts.Register(c.UserContext(), account.RegisterInput{
		Email: v.Email, Password: c.FormValue("password"), PasswordConfirm: c.FormValue("password_confirm"), FullName: v.FullName,
	}, requestSource(c))
	if err != nil {
		if v.Errors = coreFieldKeys(err); v.Errors != nil {
			return h.sendPage(c, fiber.StatusUnprocessableEntity, "register", h.newPage(c, "self.register.title", v))
		}
		return h.selfFailure(c, err)
	}
	h.setFlash(c, "info", "self.register.check_email", r.User.Email)
	return h.signInContinue(c, r.LoginResult(), cont)
}

// selfForgotView is the forgot-password form.
type selfForgotView struct {
	Email string
	// Sent shows the generic answer instead of the form.
	Sent   bool
	Errors map[string]string
	// The sign-in continuation, carried back to /login.
	signInReturn
}

// newSelfForgotView starts the page for the continuation cont (the
// sign-in page links here with it).
func newSelfForgotView(cont loginContinuation) selfForgotView {
	return selfForgotView{signInReturn: newSignInReturn(cont)}
}

// selfForgotPage is GET /forgot-password.
func (h *handlers) selfForgotPage(c *fiber.Ctx) error {
	v := newSelfForgotView(continuationFrom(c))
	v.Sent = c.Query("sent") == "1"
	return h.sendPage(c, fiber.StatusOK, "forgot", h.newPage(c, "self.forgot.title", v))
}

// selfForgotSubmit is POST /forgot-password: account.ForgotPassword, then
// the same answer whether or not the address has an account (only a
// malformed address is refused, as in the REST API).
func (h *handlers) selfForgotSubmit(c *fiber.Ctx) error {
	cont := continuationFrom(c)
	v := newSelfForgotView(cont)
	v.Email = strings.TrimSpace(c.FormValue("email"))
	if err := h.d.Accounts.ForgotPassword(c.UserContext(), v.Email, requestSource(c)); err != nil {
		if v.Errors = coreFieldKeys(err); v.Errors != nil {
			return h.sendPage(c, fiber.StatusUnprocessableEntity, "forgot", h.newPage(c, "self.forgot.title", v))
		}
		return h.selfFailure(c, err)
	}
	h.setFlash(c, "info", "self.forgot.sent")
	c.Set(fiber.HeaderCacheControl, "no-store")
	to := "/forgot-password?sent=1"
	if q := cont.query(); q != "" {
		to += "&" + q
	}
	return c.Redirect(to, fiber.StatusSeeOther)
}

// selfResetView is the new-password form.
type selfResetView struct {
	// Expired shows "link expired" (no token, or the core refused it)
	// with a way to ask for a new one.
	Expired bool
	Errors  map[string]string
}

// selfResetPage is GET /reset-password: with ?token= the token moves into a
// cookie (and the browser comes back without it); without one the form
// is shown, or "link expired" when there is no token cookie.
func (h *handlers) selfResetPage(c *fiber.Ctx) error {
	if moved, err := h.selfStashToken(c, selfResetCookie, "/reset-password", selfLinkTTL); moved {
		return err
	}
	if selfLinkToken(c, selfResetCookie) == "" {
		return h.selfResetExpired(c)
	}
	return h.sendPage(c, fiber.StatusOK, "reset", h.newPage(c, "self.reset.title", selfResetView{}))
}

// selfResetExpired is the reset page's "link expired" (410).
func (h *handlers) selfResetExpired(c *fiber.Ctx) error {
	return h.sendPage(c, fiber.StatusGone, "reset", h.newPage(c, "self.reset.expired_title", selfResetView{Expired: true}))
}

// selfResetSubmit is POST /reset-password: account.ResetPassword (which signs
// out every session), then the cookie is cleared and the user signs in
// with the new password.
func (h *handlers) selfResetSubmit(c *fiber.Ctx) error {
	tok := selfLinkToken(c, selfResetCookie)
	if tok == "" {
		return h.selfResetExpired(c)
	}
	err := h.d.Accounts.ResetPassword(c.UserContext(), account.ResetInput{
		Token: tok, Password: c.FormValue("password"), PasswordConfirm: c.FormValue("password_confirm"),
	}, requestSource(c))
	if err != nil {
		errs := coreFieldKeys(err)
		if errs == nil {
			return h.selfFailure(c, err)
		}
		if _, bad := errs["token"]; bad {
			h.selfClearToken(c, selfResetCookie, "/reset-password")
			return h.selfResetExpired(c)
		}
		return h.sendPage(c, fiber.StatusUnprocessableEntity, "reset", h.newPage(c, "self.reset.title", selfResetView{Errors: errs}))
	}
	h.selfClearToken(c, selfResetCookie, "/reset-password")
	return h.redirectFlash(c, "/login", "success", "self.reset.done")
}

// selfVerifyView is the verify-email page.
type selfVerifyView struct {
	// Expired: no token, or the core refused it.
	Expired bool
	// SignedIn offers the resend form (else a link to sign in).
	SignedIn bool
	// Email is the signed-in user's address (for the resend form).
	Email string
	// Verified: the signed-in user's address is verified already.
	Verified bool
}

// selfVerifyState fills the signed-in part of a selfVerifyView.
func (h *handlers) selfVerifyState(c *fiber.Ctx, v selfVerifyView) selfVerifyView {
	if p := selfPrincipal(c); p != nil {
		v.SignedIn, v.Email, v.Verified = true, p.User.Email, p.User.EmailVerified
	}
	return v
}

// selfVerifyPage is GET /verify-email: with ?token= the token moves into a
// cookie; the page then offers a "Verify my email" button (a POST, so a
// mail scanner following the link does not use the token up).
func (h *handlers) selfVerifyPage(c *fiber.Ctx) error {
	if moved, err := h.selfStashToken(c, selfVerifyCookie, "/verify-email", selfLinkTTL); moved {
		return err
	}
	return h.selfVerifyShow(c, h.selfVerifyState(c, selfVerifyView{Expired: selfLinkToken(c, selfVerifyCookie) == ""}))
}

// selfVerifyShow renders the verify page: 410 "link expired" unless the
// signed-in user's address is verified already.
func (h *handlers) selfVerifyShow(c *fiber.Ctx, v selfVerifyView) error {
	if v.Expired && !v.Verified {
		return h.sendPage(c, fiber.StatusGone, "verify_email", h.newPage(c, "self.verify.expired_title", v))
	}
	return h.sendPage(c, fiber.StatusOK, "verify_email", h.newPage(c, "self.verify.title", v))
}

// selfVerifySubmit is POST /verify-email: account.VerifyEmail with the
// cookie's token, then the account (signed in) or the sign-in page.
func (h *handlers) selfVerifySubmit(c *fiber.Ctx) error {
	tok := selfLinkToken(c, selfVerifyCookie)
	h.selfClearToken(c, selfVerifyCookie, "/verify-email")
	if tok == "" {
		return h.selfVerifyShow(c, h.selfVerifyState(c, selfVerifyView{Expired: true}))
	}
	if _, err := h.d.Accounts.VerifyEmail(c.UserContext(), tok, requestSource(c)); err != nil {
		if fault.Is(err, fault.Invalid) {
			return h.selfVerifyShow(c, h.selfVerifyState(c, selfVerifyView{Expired: true}))
		}
		return h.selfFailure(c, err)
	}
	to := "/login"
	if selfPrincipal(c) != nil {
		to = "/account"
	}
	return h.redirectFlash(c, to, "success", "self.verify.done")
}

// selfVerifyResend is POST /verify-email/resend (signed in): a new link to
// the user's own address (account.ResendVerification, the REST resend).
func (h *handlers) selfVerifyResend(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	if err := h.d.Accounts.ResendVerification(c.UserContext(), p.User.Email); err != nil {
		return h.selfFailure(c, err)
	}
	return h.redirectFlash(c, "/verify-email", "info", "self.verify.resent", p.User.Email)
}

// selfSession puts the browser's session, full or compliance-only, in
// Locals when there is one (before the CSRF check, which binds a
// signed-in browser's tokens to its session). For the pages that serve
// both signed-in and anonymous visitors (verify email, invite).
func (h *handlers) selfSession(c *fiber.Ctx) error {
	if tok := h.ssoToken(c); tok != "" {
		if p, err := h.d.Accounts.Authenticate(c.UserContext(), tok); err == nil {
			c.Locals(uiPrincipalKey, &p)
		}
	}
	return c.Next()
}

// selfPrincipal is the session selfSession (or a ui guard) found, or nil.
func selfPrincipal(c *fiber.Ctx) *account.Principal {
	p, _ := c.Locals(uiPrincipalKey).(*account.Principal)
	return p
}
