package httpapi

import (
	"bytes"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/core/throttle"
)

// orgRoutes adds the organization, invitation, API key and admin user
// routes. Routes marked machine accept an organization API key as well as
// a session (requireSessionOrKey); all others take sessions only.
func (h *handlers) orgRoutes(v1 fiber.Router, lim func(scope string, rules []throttle.Rule) fiber.Handler) {
	if h.d.Tenancy == nil {
		return
	}
	auth, machine := h.requireSession, h.requireSessionOrKey

	o := v1.Group("/organizations")
	o.Get("", auth, h.myOrgs)
	o.Post("", auth, h.createOrg)
	o.Get("/:org", machine, h.getOrg)
	o.Patch("/:org", auth, h.updateOrg)
	o.Delete("/:org", auth, h.deleteOrg)
	o.Get("/:org/members", machine, h.listMembers)
	o.Post("/:org/members", auth, h.addMember)
	o.Delete("/:org/members/:user", auth, h.removeMember)
	o.Patch("/:org/members/:user/role", auth, h.changeRole)
	o.Post("/:org/transfer-ownership", auth, h.transferOwnership)
	o.Get("/:org/roles", machine, h.roles)
	o.Post("/:org/roles/:role/members", auth, h.assignRole)
	o.Delete("/:org/roles/:role/members/:user", auth, h.unassignRole)
	o.Get("/:org/invites", auth, h.listInvites)
	o.Post("/:org/invites", auth, h.createInvite)
	o.Delete("/:org/invites/:id", auth, h.cancelInvite)
	o.Get("/:org/api-keys", auth, h.listAPIKeys)
	o.Post("/:org/api-keys", auth, h.createAPIKey)
	o.Patch("/:org/api-keys/:id", auth, h.updateAPIKey)
	o.Delete("/:org/api-keys/:id", auth, h.revokeAPIKey)

	i := v1.Group("/invites")
	i.Get("/:token", lim("invite-lookup", h.d.Limits.Default), h.lookupInvite)
	i.Post("/:token/accept", lim("invite-accept", h.d.Limits.Default), h.optionalSession, h.acceptInvite)

	u := v1.Group("/users/me")
	u.Get("/organizations", auth, h.myOrgs)
	u.Get("/memberships", auth, h.myMemberships)
	u.Get("/invites", auth, h.myInvites)

	if h.d.Admin != nil {
		h.adminRoutes(v1)
	}
}

// decodeOptionalJSON is decodeJSON for bodies that may be left out
// entirely (DELETE with an optional confirm, accept with a session).
func decodeOptionalJSON(c *fiber.Ctx, dst any) error {
	if len(bytes.TrimSpace(c.Body())) == 0 {
		return nil
	}
	return decodeJSON(c, dst)
}

// orgBody is the body of POST /organizations and PATCH /organizations/{org}.
// Only these fields exist: role, org_id, is_active and the like are unknown
// fields and refused with 400 (no mass assignment).
type orgBody struct {
	Name        *string `json:"name"`
	Slug        *string `json:"slug"`
	Description *string `json:"description"`
	LogoURL     *string `json:"logo_url"`
}

func (h *handlers) createOrg(c *fiber.Ctx) error {
	var b orgBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	d, err := h.d.Tenancy.CreateOrg(c.UserContext(), actor(c), tenancy.OrgInput{Name: b.Name, Slug: b.Slug, Description: b.Description, LogoURL: b.LogoURL}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "Organization created", fiber.Map{"organization": viewOrgDetail(d)})
}

func (h *handlers) getOrg(c *fiber.Ctx) error {
	d, err := h.d.Tenancy.GetOrg(c.UserContext(), actor(c), c.Params("org"))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Organization", fiber.Map{"organization": viewOrgDetail(d)})
}

func (h *handlers) updateOrg(c *fiber.Ctx) error {
	var b orgBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	d, err := h.d.Tenancy.UpdateOrg(c.UserContext(), actor(c), c.Params("org"), tenancy.OrgInput{Name: b.Name, Slug: b.Slug, Description: b.Description, LogoURL: b.LogoURL}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Organization updated", fiber.Map{"organization": viewOrgDetail(d)})
}

type confirmBody struct {
	Confirm bool `json:"confirm"`
}

// confirmed reads {"confirm": true} from an optional body or ?confirm=true.
func confirmed(c *fiber.Ctx) (bool, error) {
	var b confirmBody
	if err := decodeOptionalJSON(c, &b); err != nil {
		return false, err
	}
	q, _ := strconv.ParseBool(c.Query("confirm"))
	return b.Confirm || q, nil
}

func (h *handlers) deleteOrg(c *fiber.Ctx) error {
	ok, err := confirmed(c)
	if err != nil {
		return fail(c, err)
	}
	if err := h.d.Tenancy.DeleteOrg(c.UserContext(), actor(c), c.Params("org"), ok, requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Organization deleted", nil)
}

func (h *handlers) myOrgs(c *fiber.Ctx) error {
	list, err := h.d.Tenancy.MyOrgs(c.UserContext(), actor(c))
	if err != nil {
		return fail(c, err)
	}
	out := viewUserOrgs(list)
	return respond(c, fiber.StatusOK, "Organizations", fiber.Map{"organizations": out, "count": len(out)})
}

func (h *handlers) myMemberships(c *fiber.Ctx) error {
	list, err := h.d.Tenancy.MyOrgs(c.UserContext(), actor(c))
	if err != nil {
		return fail(c, err)
	}
	out := make([]membershipView, len(list))
	for i, uo := range list {
		m := uo.Membership
		out[i] = membershipView{ID: m.ID, OrganizationID: m.OrgID, Organization: viewOrg(uo.Org), Role: string(m.Role),
			InvitedByID: m.InvitedByID, InvitedAt: m.InvitedAt, JoinedAt: m.JoinedAt}
	}
	return respond(c, fiber.StatusOK, "Memberships", fiber.Map{"memberships": out, "count": len(out)})
}

func (h *handlers) myInvites(c *fiber.Ctx) error {
	list, err := h.d.Tenancy.MyInvites(c.UserContext(), actor(c))
	if err != nil {
		return fail(c, err)
	}
	out := viewInvites(list)
	return respond(c, fiber.StatusOK, "Pending invitations", fiber.Map{"invites": out, "count": len(out)})
}

func (h *handlers) listMembers(c *fiber.Ctx) error {
	p, err := pageRequest(c)
	if err != nil {
		return fail(c, err)
	}
	list, pi, err := h.d.Tenancy.ListMembers(c.UserContext(), actor(c), c.Params("org"), c.Query("role"), p)
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Members", paged("members", viewMembers(list), pi))
}

// memberBody is POST /organizations/{org}/members (platform admins only).
type memberBody struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

func (h *handlers) addMember(c *fiber.Ctx) error {
	var b memberBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	m, err := h.d.Tenancy.AddMember(c.UserContext(), actor(c), c.Params("org"), b.Email, b.Role, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "Member added", fiber.Map{"member": viewMember(m)})
}

func (h *handlers) removeMember(c *fiber.Ctx) error {
	if err := h.d.Tenancy.RemoveMember(c.UserContext(), actor(c), c.Params("org"), c.Params("user"), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Member removed", nil)
}

type roleBody struct {
	Role string `json:"role"`
}

func (h *handlers) changeRole(c *fiber.Ctx) error {
	var b roleBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	m, err := h.d.Tenancy.ChangeRole(c.UserContext(), actor(c), c.Params("org"), c.Params("user"), b.Role, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Role changed", fiber.Map{"member": viewMembership(m)})
}

type transferBody struct {
	NewOwnerUserID string `json:"new_owner_user_id"`
}

func (h *handlers) transferOwnership(c *fiber.Ctx) error {
	var b transferBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	if err := h.d.Tenancy.TransferOwnership(c.UserContext(), actor(c), c.Params("org"), b.NewOwnerUserID, requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Ownership transferred", nil)
}

func (h *handlers) roles(c *fiber.Ctx) error {
	byRole, err := h.d.Tenancy.Roles(c.UserContext(), actor(c), c.Params("org"))
	if err != nil {
		return fail(c, err)
	}
	roles := make([]fiber.Map, 0, len(byRole))
	for _, r := range org.Roles() {
		ms := byRole[r]
		roles = append(roles, fiber.Map{"role": string(r), "members": viewMembers(ms), "count": len(ms)})
	}
	return respond(c, fiber.StatusOK, "Roles", fiber.Map{"roles": roles})
}

type userIDBody struct {
	UserID string `json:"user_id"`
}

func (h *handlers) assignRole(c *fiber.Ctx) error {
	var b userIDBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	m, err := h.d.Tenancy.AssignRole(c.UserContext(), actor(c), c.Params("org"), c.Params("role"), b.UserID, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Role assigned", fiber.Map{"member": viewMembership(m)})
}

func (h *handlers) unassignRole(c *fiber.Ctx) error {
	m, err := h.d.Tenancy.UnassignRole(c.UserContext(), actor(c), c.Params("org"), c.Params("role"), c.Params("user"), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Role removed", fiber.Map{"member": viewMembership(m)})
}

type inviteBody struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

func (h *handlers) createInvite(c *fiber.Ctx) error {
	var b inviteBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	inv, err := h.d.Tenancy.CreateInvite(c.UserContext(), actor(c), c.Params("org"), b.Email, b.Role, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "Invitation sent", fiber.Map{"invite": viewInvite(inv)})
}

func (h *handlers) listInvites(c *fiber.Ctx) error {
	list, err := h.d.Tenancy.ListInvites(c.UserContext(), actor(c), c.Params("org"))
	if err != nil {
		return fail(c, err)
	}
	out := viewInvites(list)
	return respond(c, fiber.StatusOK, "Pending invitations", fiber.Map{"invites": out, "count": len(out)})
}

func (h *handlers) cancelInvite(c *fiber.Ctx) error {
	if err := h.d.Tenancy.CancelInvite(c.UserContext(), actor(c), c.Params("org"), c.Params("id"), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Invitation cancelled", nil)
}

func (h *handlers) lookupInvite(c *fiber.Ctx) error {
	info, err := h.d.Tenancy.LookupInvite(c.UserContext(), c.Params("token"))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Invitation", fiber.Map{
		"email": info.Email, "role": string(info.Role), "user_exists": info.UserExists, "expires_at": info.ExpiresAt,
		"inviter_name": info.InviterName,
		"organization": fiber.Map{"id": info.OrgID, "name": info.OrgName, "slug": info.OrgSlug},
	})
}

// acceptBody is the optional body of POST /invites/{token}/accept: the
// new account's details when there is no session.
type acceptBody struct {
	FullName        string `json:"full_name"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
}

func (h *handlers) acceptInvite(c *fiber.Ctx) error {
	var b acceptBody
	if err := decodeOptionalJSON(c, &b); err != nil {
		return fail(c, err)
	}
	res, err := h.d.Tenancy.AcceptInvite(c.UserContext(), maybeActor(c), c.Params("token"),
		tenancy.SignUp{FullName: b.FullName, Password: b.Password, PasswordConfirm: b.PasswordConfirm}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	data := fiber.Map{"organization": viewOrg(res.Org), "member": viewMembership(res.Membership)}
	status := fiber.StatusOK
	if r := res.Registration; r != nil {
		status = fiber.StatusCreated
		data["user"], data["token"], data["expires_at"] = viewUser(r.User), r.Token, r.Session.ExpiresAt
		// The organization joined may require MFA at once: then the new
		// session is compliance-only, as after a login.
		data["requires_mfa_enrollment"], data["compliance_only"] = r.RequiresMFAEnrollment, r.Session.ComplianceOnly
		if r.Compliance != nil {
			data["mfa_compliance"] = viewAggregate(*r.Compliance)
		}
	}
	return respond(c, status, "Invitation accepted", data)
}

type apiKeyBody struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (h *handlers) createAPIKey(c *fiber.Ctx) error {
	var b apiKeyBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	k, raw, err := h.d.Tenancy.CreateAPIKey(c.UserContext(), actor(c), c.Params("org"), tenancy.APIKeyInput{Name: b.Name, Description: b.Description}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "API key created; copy it now, it is not shown again",
		fiber.Map{"api_key": viewAPIKey(k), "key": raw})
}

func (h *handlers) listAPIKeys(c *fiber.Ctx) error {
	list, err := h.d.Tenancy.ListAPIKeys(c.UserContext(), actor(c), c.Params("org"))
	if err != nil {
		return fail(c, err)
	}
	out := make([]apiKeyView, len(list))
	for i, k := range list {
		out[i] = viewAPIKey(k)
	}
	return respond(c, fiber.StatusOK, "API keys", fiber.Map{"api_keys": out, "count": len(out)})
}

func (h *handlers) updateAPIKey(c *fiber.Ctx) error {
	var b apiKeyBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	k, err := h.d.Tenancy.UpdateAPIKey(c.UserContext(), actor(c), c.Params("org"), c.Params("id"), tenancy.APIKeyInput{Name: b.Name, Description: b.Description}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "API key updated", fiber.Map{"api_key": viewAPIKey(k)})
}

type revokeBody struct {
	Reason string `json:"reason"`
}

func (h *handlers) revokeAPIKey(c *fiber.Ctx) error {
	var b revokeBody
	if err := decodeOptionalJSON(c, &b); err != nil {
		return fail(c, err)
	}
	k, err := h.d.Tenancy.RevokeAPIKey(c.UserContext(), actor(c), c.Params("org"), c.Params("id"), b.Reason, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "API key revoked", fiber.Map{"api_key": viewAPIKey(k)})
}
