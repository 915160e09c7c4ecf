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
	return h.sendDevice(c, fiber.StatusOK, strings.Clone(c.Query("user_code")), "")
}

// sendDevice renders the code form; errKey is a catalogue key or "".
func (h *handlers) sendDevice(c *fiber.Ctx, status int, code, errKey string) error {
	return h.sendPage(c, status, pageDevice, h.newPage(c, "oidc.device.title", deviceView{UserCode: code, Error: errKey}))
}

// deviceSubmit is POST /oidc/device: a valid code continues through the
// normal login and a consent page that names the client (every device
// request asks); a wrong code re-renders the form. Rate limited per IP.
func (h *handlers) deviceSubmit(c *fiber.Ctx) error {
	code := strings.Clone(c.FormValue("user_code"))
	if !h.uiCSRFValid(c) {
		return h.uiError(c, fiber.StatusForbidden, "common.error.csrf")
	}
	id, err := h.d.OIDC.Provider.BeginDeviceLogin(c.UserContext(), code, requestSource(c))
	if err != nil {
		if !fault.Is(err, fault.NotFound) {
			logger(c).Error("device code entry failed", "error", err.Error())
			return h.sendDevice(c, fiber.StatusServiceUnavailable, code, "oidc.device.error.unavailable")
		}
		return h.sendDevice(c, fiber.StatusBadRequest, code, "oidc.device.error.invalid")
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/oidc/login?id="+url.QueryEscape(id), fiber.StatusFound)
}
