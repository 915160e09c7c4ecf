package httpapi

import "github.com/gofiber/fiber/v2"

// mountLoginPages registers the sign-in pages: /login (password, passkey), the MFA step, org selection.
func (h *handlers) mountLoginPages(app *fiber.App) {
	_ = app
}
