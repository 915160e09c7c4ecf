package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/provider"
)

// logoutRequest reads an RP-initiated logout's parameters from the query
// (GET) or the form (POST), with the SSO session's token hash.
func (h *handlers) logoutRequest(c *fiber.Ctx, post bool) provider.LogoutRequest {
	get := c.Query
	if post {
		get = func(k string, _ ...string) string { return c.FormValue(k) }
	}
	in := provider.LogoutRequest{
		ClientID:              strings.Clone(get("client_id")),
		PostLogoutRedirectURI: strings.Clone(get("post_logout_redirect_uri")),
		State:                 strings.Clone(get("state")),
	}
	if tok := h.ssoToken(c); tok != "" {
		in.SessionTokenHash = provider.HashToken(tok)
	}
	return in
}

// logoutCSRFPurpose binds the confirmation form to the session and to the
// logout's parameters.
func logoutCSRFPurpose(sessionID string, in provider.LogoutRequest) string {
	return "logout|" + sessionID + "|" + in.ClientID + "|" + in.PostLogoutRedirectURI + "|" + in.State
}

// logoutFail shows the error page for a refused logout request.
func (h *handlers) logoutFail(c *fiber.Ctx, err error) error {
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
		return h.uiError(c, fiber.StatusBadRequest, "oidc.logout.error.invalid")
	}
	logger(c).Error("oidc logout failed", "error", err.Error())
	return h.uiError(c, fiber.StatusServiceUnavailable, "oidc.logout.error.unavailable")
}

// logoutPage is GET /oidc/logout: the confirmation page end_session sends
// the browser to when the request did not carry an id_token_hint for the
// current session. Without a session there is nothing to confirm.
func (h *handlers) logoutPage(c *fiber.Ctx) error {
	in := h.logoutRequest(c, false)
	name, err := h.d.OIDC.Provider.LogoutClientName(c.UserContext(), in)
	if err != nil {
		return h.logoutFail(c, err)
	}
	p, sess := h.ssoSession(c)
	if sess == nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(provider.LogoutRedirect(in.PostLogoutRedirectURI, in.State), fiber.StatusFound)
	}
	pg := h.newPage(c, "oidc.logout.title", logoutView{ClientName: name, UserEmail: p.User.Email,
		ClientID: in.ClientID, PostLogoutRedirectURI: in.PostLogoutRedirectURI, State: in.State})
	// The confirmation's token is bound to the session and the request.
	pg.CSRF = h.csrfToken(c, logoutCSRFPurpose(sess.ID, in))
	return h.sendPage(c, fiber.StatusOK, pageLogout, pg)
}

// logoutSubmit is POST /oidc/logout: the user's answer. "Sign out" ends the
// SSO session (and revokes the refresh tokens issued under it), clears the
// cookie and continues to the post-logout redirect URI; "Stay signed in"
// changes nothing.
func (h *handlers) logoutSubmit(c *fiber.Ctx) error {
	in := h.logoutRequest(c, true)
	_, sess := h.ssoSession(c)
	if sess == nil {
		if _, err := h.d.OIDC.Provider.LogoutClientName(c.UserContext(), in); err != nil {
			return h.logoutFail(c, err)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect(provider.LogoutRedirect(in.PostLogoutRedirectURI, in.State), fiber.StatusFound)
	}
	if !h.csrfValid(c, logoutCSRFPurpose(sess.ID, in)) {
		return h.uiError(c, fiber.StatusForbidden, "common.error.csrf")
	}
	if c.FormValue("action") != "logout" {
		return h.messagePage(c, fiber.StatusOK, "oidc.logout.still_title", messageView{Message: "oidc.logout.still",
			Detail: "oidc.close_window"})
	}
	to, err := h.d.OIDC.Provider.ConfirmLogout(c.UserContext(), in, requestSource(c))
	if err != nil {
		return h.logoutFail(c, err)
	}
	h.clearSSOCookie(c)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect(to, fiber.StatusFound)
}
