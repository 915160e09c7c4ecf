package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/throttle"
)

// Self-service link cookies: the GET of an emailed link moves its token
// into one of these (HttpOnly, SameSite=Lax, scoped to the page's path)
// and redirects to the page without it, so the secret never stays in the
// address bar, the history or a Referer.
const (
	selfResetCookie  = "secuird_reset"
	selfVerifyCookie = "secuird_verify"
	selfInviteCookie = "secuird_invite"
)

// Lifetimes of the link cookies: long enough to finish the page, short
// enough not to linger (an invite may need a sign-in with MFA first).
const (
	selfLinkTTL   = 15 * time.Minute
	selfInviteTTL = 30 * time.Minute
)

// selfMaxToken bounds a token taken from a link (the core's limit is 256).
const selfMaxToken = 256

// mountSelfServicePages registers the self-service pages: register, forgot and reset password, verify email, invite acceptance.
// Every POST is CSRF-checked and counted under the same rate-limit scope
// as its REST twin, so the pages add no budget to the API's.
func (h *handlers) mountSelfServicePages(app *fiber.App) {
	lim := func(scope string, rules []throttle.Rule) fiber.Handler { return h.pageLimit(scope, rules) }
	l := h.d.Limits

	app.Get("/register", h.selfRegisterPage)
	app.Post("/register", lim("register", l.Register), h.uiForm, h.selfRegisterSubmit)

	app.Get("/forgot-password", h.selfForgotPage)
	app.Post("/forgot-password", lim("forgot-password", l.ForgotPassword), h.uiForm, h.selfForgotSubmit)

	app.Get("/reset-password", h.selfResetPage)
	app.Post("/reset-password", lim("reset-password", l.ResetPassword), h.uiForm, h.selfResetSubmit)

	app.Get("/verify-email", h.selfSession, h.selfVerifyPage)
	app.Post("/verify-email", lim("verify-email", l.Default), h.selfSession, h.uiForm, h.selfVerifySubmit)
	app.Post("/verify-email/resend", lim("resend-verification", l.Default), h.uiAuthAny, h.selfVerifyResend)

	if h.d.Tenancy != nil {
		app.Get("/invite", lim("invite-lookup", l.Default), h.selfSession, h.selfInvitePage)
		app.Post("/invite/accept", lim("invite-accept", l.Default), h.uiAuth, h.selfInviteAccept)
		app.Post("/invite/decline", lim("invite-accept", l.Default), h.uiAuth, h.selfInviteDecline)
		app.Post("/invite/register", lim("invite-accept", l.Default), h.selfSession, h.uiForm, h.selfInviteRegister)
	}
}

// selfStashToken handles the GET of an emailed link: when the query holds
// a token it is moved into the cookie name (Path=path) and the browser is
// redirected to path without it; moved reports that the redirect was
// sent.
func (h *handlers) selfStashToken(c *fiber.Ctx, name, path string, ttl time.Duration) (moved bool, err error) {
	tok := c.Query("token")
	if tok == "" {
		return false, nil
	}
	// Only a well-formed token goes into the cookie: the value is written
	// into Set-Cookie as given, so "; Domain=..." would add attributes and
	// CR LF (from %0d%0a) would add headers (a session cookie of the
	// attacker's choosing). Tokens are base64url; anything else is no
	// token, and the page then says the link expired.
	if selfTokenOK(tok) {
		c.Cookie(&fiber.Cookie{Name: name, Value: string([]byte(tok)), Path: path, MaxAge: int(ttl / time.Second),
			Expires: time.Now().Add(ttl), HTTPOnly: true, Secure: h.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return true, c.Redirect(path, fiber.StatusSeeOther)
}

// selfTokenOK reports whether tok can be a link token: 1 to selfMaxToken
// URL-safe characters (RFC 3986 unreserved: the base64url of the core's
// tokens, and hex).
func selfTokenOK(tok string) bool {
	if tok == "" || len(tok) > selfMaxToken {
		return false
	}
	for i := 0; i < len(tok); i++ {
		switch b := tok[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_', b == '.', b == '~':
		default:
			return false
		}
	}
	return true
}

// selfLinkToken is the token a link cookie holds ("" when none).
func selfLinkToken(c *fiber.Ctx, name string) string {
	tok := string([]byte(c.Cookies(name)))
	if !selfTokenOK(tok) {
		return ""
	}
	return tok
}

// selfClearToken removes the link cookie name of path.
func (h *handlers) selfClearToken(c *fiber.Ctx, name, path string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: path, Expires: time.Unix(1, 0), MaxAge: -1, HTTPOnly: true,
		Secure: h.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
}

// selfFailure answers a core error that is no field problem: the rate
// limit page, else the unavailable page (logged).
func (h *handlers) selfFailure(c *fiber.Ctx, err error) error {
	switch {
	case fault.Is(err, fault.RateLimited):
		if fe := fault.As(err); fe != nil && fe.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(ceilSeconds(fe.RetryAfter, 1), 10))
		}
		return h.uiError(c, fiber.StatusTooManyRequests, "common.error.rate_limited")
	case fault.Is(err, fault.Invalid):
		return h.uiError(c, fiber.StatusBadRequest, "common.error.invalid")
	}
	logger(c).Error("self-service page failed", "path", logPath(c), "error", logText(err))
	return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
}
