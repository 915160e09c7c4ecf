package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
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

// signInContinue finishes a hosted first factor (password login,
// registration, invite acceptance) through the login state machine's
// answer: the second-factor page for a pending login, the enrolment flow
// for a compliance-only session, else the SSO cookie and the
// continuation.
//
// TODO(sign-in pages): the local continuation's MFA step.
func (h *handlers) signInContinue(c *fiber.Ctx, res account.LoginResult, cont loginContinuation) error {
	if cont.RequestID != "" {
		return h.afterFirstFactor(c, cont.RequestID, res)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if res.Pending != nil {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	h.setSSOCookie(c, res.Token, res.Session.ExpiresAt)
	if res.Session.ComplianceOnly {
		return c.Redirect("/account/security", fiber.StatusSeeOther)
	}
	next := cont.Next
	if next == "" || next == "/" {
		next = "/account"
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// mountLoginPages registers the sign-in pages: /login (password,
// passkey), the MFA step, organization selection.
func (h *handlers) mountLoginPages(app *fiber.App) {
	_ = app
}
