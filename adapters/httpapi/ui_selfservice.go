package httpapi

import "github.com/gofiber/fiber/v2"

// mountSelfServicePages registers the self-service pages: register, forgot and reset password, verify email, invite acceptance.
func (h *handlers) mountSelfServicePages(app *fiber.App) {
	_ = app
}
