package httpapi

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
)

// devicePage is GET /oidc/device[?user_code=]: the form where a user types
// the code a device shows (RFC 8628 3.3). The verification_uri_complete
// link fills the code in but never submits it by itself.
func (h *handlers) devicePage(c *fiber.Ctx) error {
	return h.pages.send(c, fiber.StatusOK, pageDevice, "Connect a device", deviceView{
		UserCode: strings.Clone(c.Query("user_code")), CSRF: h.csrfToken(c, "device")})
}

// deviceSubmit is POST /oidc/device: a valid code continues through the
// normal login and a consent page that names the client (every device
// request asks); a wrong code re-renders the form. Rate limited per IP.
func (h *handlers) deviceSubmit(c *fiber.Ctx) error {
	code := strings.Clone(c.FormValue("user_code"))
	if !h.csrfValid(c, "device") {
		return h.pages.errorPage(c, fiber.StatusForbidden, "The form has expired. Reload the page and enter the code again.")
	}
	id, err := h.d.OIDC.Provider.BeginDeviceLogin(c.UserContext(), code, requestSource(c))
	if err != nil {
		status, msg := fiber.StatusBadRequest, "The code is not valid or has expired. Check the code on your device."
		if !fault.Is(err, fault.NotFound) {
			logger(c).Error("device code entry failed", "error", err.Error())
			status, msg = fiber.StatusServiceUnavailable, "This service is unavailable right now. Try again later."
		}
		return h.pages.send(c, status, pageDevice, "Connect a device", deviceView{UserCode: code, CSRF: h.csrfToken(c, "device"), Error: msg})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
}
