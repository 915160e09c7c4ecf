package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/admin"
)

// adminRoutes adds admin user management (SEED-SPEC 4.8). Who may see and
// act on whom is decided by the admin use cases.
func (h *handlers) adminRoutes(v1 fiber.Router) {
	auth := h.requireSession
	a := v1.Group("/admin/users")
	a.Get("", auth, h.adminListUsers)
	a.Get("/:id", auth, h.adminGetUser)
	a.Post("/:id/suspend", auth, h.adminSuspend)
	a.Post("/:id/unsuspend", auth, h.adminUnsuspend)
	a.Post("/:id/verify-email", auth, h.adminVerifyEmail)
	a.Post("/:id/delete", auth, h.adminDelete)
	a.Post("/:id/restore", auth, h.adminRestore)
	a.Post("/:id/password", auth, h.adminSetPassword)
	a.Get("/:id/linked-accounts", auth, h.adminLinkedAccounts)
	a.Delete("/:id/linked-accounts/:provider", auth, h.adminUnlink)
}

func (h *handlers) adminListUsers(c *fiber.Ctx) error {
	p, err := pageRequest(c)
	if err != nil {
		return fail(c, err)
	}
	list, pi, err := h.d.Admin.ListUsers(c.UserContext(), principal(c).User, admin.ListQuery{Search: c.Query("q"), PageRequest: p})
	if err != nil {
		return fail(c, err)
	}
	out := make([]adminUserView, len(list))
	for i, e := range list {
		out[i] = viewAdminUser(e)
	}
	return respond(c, fiber.StatusOK, "Users", paged("users", out, pi))
}

func (h *handlers) adminGetUser(c *fiber.Ctx) error {
	e, err := h.d.Admin.GetUser(c.UserContext(), principal(c).User, c.Params("id"))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "User", fiber.Map{"user": viewAdminUser(e)})
}

func (h *handlers) adminSuspend(c *fiber.Ctx) error {
	u, err := h.d.Admin.Suspend(c.UserContext(), principal(c).User, c.Params("id"), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "User suspended; every session was ended", fiber.Map{"user": viewUser(u)})
}

func (h *handlers) adminUnsuspend(c *fiber.Ctx) error {
	u, err := h.d.Admin.Unsuspend(c.UserContext(), principal(c).User, c.Params("id"), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "User unsuspended", fiber.Map{"user": viewUser(u)})
}

func (h *handlers) adminVerifyEmail(c *fiber.Ctx) error {
	u, err := h.d.Admin.VerifyEmail(c.UserContext(), principal(c).User, c.Params("id"), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Email verified", fiber.Map{"user": viewUser(u)})
}

func (h *handlers) adminDelete(c *fiber.Ctx) error {
	ok, err := confirmed(c)
	if err != nil {
		return fail(c, err)
	}
	if err := h.d.Admin.HardDelete(c.UserContext(), principal(c).User, c.Params("id"), ok, requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "User deleted permanently", nil)
}

func (h *handlers) adminRestore(c *fiber.Ctx) error {
	u, err := h.d.Admin.Restore(c.UserContext(), principal(c).User, c.Params("id"), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "User restored", fiber.Map{"user": viewUser(u)})
}

type adminPasswordBody struct {
	Password string `json:"password"`
}

func (h *handlers) adminSetPassword(c *fiber.Ctx) error {
	var b adminPasswordBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	if err := h.d.Admin.SetPassword(c.UserContext(), principal(c).User, c.Params("id"), b.Password, requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Password set; every session of the user was ended", nil)
}

func (h *handlers) adminLinkedAccounts(c *fiber.Ctx) error {
	list, err := h.d.Admin.LinkedAccounts(c.UserContext(), principal(c).User, c.Params("id"))
	if err != nil {
		return fail(c, err)
	}
	out := make([]fiber.Map, len(list))
	for i, l := range list {
		out[i] = fiber.Map{"provider": l.Provider, "provider_user_id": l.ProviderUserID, "linked_at": l.LinkedAt}
	}
	return respond(c, fiber.StatusOK, "Linked accounts", fiber.Map{"linked_accounts": out, "count": len(out)})
}

func (h *handlers) adminUnlink(c *fiber.Ctx) error {
	if err := h.d.Admin.Unlink(c.UserContext(), principal(c).User, c.Params("id"), c.Params("provider"), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Linked account removed", nil)
}
