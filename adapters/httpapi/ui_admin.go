package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
)

// Platform administration page names (web/templates/pages/admin_*.html).
const (
	pageAdminOverview = "admin_overview"
	pageAdminUsers    = "admin_users"
	pageAdminUser     = "admin_user"
	pageAdminOutbox   = "admin_outbox"
	pageAdminMessage  = "admin_message"
	pageAdminKeys     = "admin_keys"
)

// adminNav is the administration section's sub-navigation.
func adminNav() []NavItem {
	return []NavItem{
		{Href: "/admin", Label: "admin.nav.overview"},
		{Href: "/admin/users", Label: "admin.nav.users"},
		{Href: "/admin/outbox", Label: "admin.nav.outbox"},
		{Href: "/admin/keys", Label: "admin.nav.keys"},
	}
}

// adminPage is shellPage for the administration section; under is the
// sub-navigation entry a nested page (a user, a message) belongs to.
func (h *handlers) adminPage(c *fiber.Ctx, titleKey string, view any, under string) *page {
	pg := h.shellPage(c, SectionAdmin, titleKey, view, adminNav()...)
	if under != "" {
		for i := range pg.SubNav {
			pg.SubNav[i].Current = pg.SubNav[i].Href == under
		}
	}
	return pg
}

// mountAdminPages registers the platform administration pages under
// /admin: overview, users (search, details, suspend, verify, MFA reset,
// delete, restore), the email outbox (with retry) and the signing keys
// (with rotation). Every route needs a full-access session of a platform
// administrator; anyone else gets the not-found page, for POSTs too (the
// CSRF check of uiAuth comes first).
func (h *handlers) mountAdminPages(app *fiber.App) {
	get := func(path string, handler fiber.Handler) { app.Get(path, h.uiAuth, h.uiPlatformAdmin, handler) }
	post := func(path string, handler fiber.Handler) { app.Post(path, h.uiAuth, h.uiPlatformAdmin, handler) }
	get("/admin", h.adminOverviewPage)
	get("/admin/users", h.adminUsersPage)
	get("/admin/users/:id", h.adminUserPage)
	post("/admin/users/:id/suspend", h.adminSuspendSubmit)
	post("/admin/users/:id/unsuspend", h.adminUnsuspendSubmit)
	post("/admin/users/:id/verify-email", h.adminVerifySubmit)
	post("/admin/users/:id/mfa-reset", h.adminMFAResetSubmit)
	post("/admin/users/:id/delete", h.adminDeleteSubmit)
	post("/admin/users/:id/restore", h.adminRestoreSubmit)
	get("/admin/outbox", h.adminOutboxPage)
	get("/admin/outbox/:id", h.adminMessagePage)
	post("/admin/outbox/:id/retry", h.adminRetrySubmit)
	get("/admin/keys", h.adminKeysPage)
	post("/admin/keys/rotate", h.adminRotateSubmit)
}

// adminFailPage shows a failed read: the not-found page for NotFound and
// Forbidden (a platform admin is never refused a read, so Forbidden means
// the guard and the use case disagree), the error page otherwise.
func (h *handlers) adminFailPage(c *fiber.Ctx, err error) error {
	switch fault.KindOf(err) {
	case fault.NotFound, fault.Forbidden:
		return h.uiNotFound(c)
	case fault.Invalid:
		return h.uiError(c, fiber.StatusBadRequest, "common.error.invalid")
	case fault.Unavailable:
		return h.uiError(c, fiber.StatusServiceUnavailable, "common.error.unavailable")
	}
	logger(c).Error("admin page failed", "error", err.Error())
	return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
}

// adminRefusal returns to back with the catalogue message for a use
// case's refusal of an action (the use case decided; this only names its
// reason); an unexpected failure is the error page.
func (h *handlers) adminRefusal(c *fiber.Ctx, back string, err error, conflictKey string) error {
	fe := fault.As(err)
	switch {
	case fe == nil:
	case fe.Kind == fault.NotFound:
		return h.uiNotFound(c)
	case fe.Kind == fault.Forbidden && fe.Code == "OWNER_PROTECTION":
		return h.redirectFlash(c, back, "error", "admin.refused.owner")
	case fe.Kind == fault.Forbidden:
		return h.redirectFlash(c, back, "error", "admin.refused.self")
	case fe.Kind == fault.Conflict:
		return h.redirectFlash(c, back, "error", conflictKey)
	case fe.Kind == fault.Invalid:
		return h.redirectFlash(c, back, "error", "common.error.invalid")
	}
	return h.adminFailPage(c, err)
}
