package httpapi

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// uiOrgKey is the Locals key of the organization a /orgs/:slug page is
// about (an *orgScope set by uiOrg).
const uiOrgKey = "ui_org"

// orgScope is the organization of an administration page as the core
// returned it for the signed-in user: the organization, its member count
// and the user's role.
type orgScope struct {
	tenancy.OrgDetail
	// Base is /orgs/<slug>, the prefix of every page of the organization.
	Base string
}

// Admin reports whether the user administers the organization (owner or
// admin): the administration entries are shown.
func (o orgScope) Admin() bool { return o.Role.Manages() }

// Owner reports whether the user owns the organization.
func (o orgScope) Owner() bool { return o.Role == org.Owner }

// mountOrgPages registers the organization administration pages under
// /orgs/:slug (see docs/README-ui-org.md). Every page resolves the
// organization through the core for the signed-in user: unknown slugs and
// organizations the user does not belong to are the same not-found page.
// The administration pages additionally need owner or admin (uiOrgAdmin:
// a 403 page for members and guests, who see the overview only).
func (h *handlers) mountOrgPages(app *fiber.App) {
	if h.d.Tenancy == nil {
		return
	}
	g := app.Group("/orgs/:slug", h.uiAuth, h.uiOrg)
	g.Get("", h.orgOverview)
	a := g.Group("", h.uiOrgAdmin)
	a.Get("/members", h.orgMembers)
	a.Post("/members/:user/role", h.orgMemberRole)
	a.Post("/members/:user/remove", h.orgMemberRemove)
	a.Post("/members/:user/transfer", h.orgMemberTransfer)
	a.Post("/members/:user/remind", h.orgMemberRemind)
	a.Get("/invites", h.orgInvites)
	a.Post("/invites", h.orgInviteCreate)
	a.Post("/invites/:id/cancel", h.orgInviteCancel)
	a.Get("/api-keys", h.orgAPIKeys)
	a.Post("/api-keys", h.orgAPIKeyCreate)
	a.Post("/api-keys/:id/revoke", h.orgAPIKeyRevoke)
	a.Get("/settings", h.orgSettings)
	a.Post("/settings", h.orgSettingsSave)
	a.Post("/delete", h.orgDelete)
	if h.d.OIDC != nil {
		a.Get("/clients", h.orgClients)
		a.Get("/clients/new", h.orgClientNew)
		a.Post("/clients", h.orgClientCreate)
		a.Get("/clients/:id", h.orgClientEdit)
		a.Post("/clients/:id", h.orgClientUpdate)
		a.Post("/clients/:id/rotate", h.orgClientRotate)
		a.Post("/clients/:id/disable", h.orgClientDisable)
		a.Post("/clients/:id/enable", h.orgClientEnable)
		a.Post("/clients/:id/delete", h.orgClientDelete)
	}
	if h.d.MFA != nil {
		a.Get("/mfa", h.orgMFA)
		a.Post("/mfa", h.orgMFASave)
		a.Get("/mfa/users/:user", h.orgMFAMember)
		a.Post("/mfa/users/:user", h.orgMFAMemberSave)
	}
	if h.d.Audit != nil {
		a.Get("/audit", h.orgAudit)
		a.Get("/audit/export", h.orgAuditExport)
	}
}

// uiOrg resolves :slug for the signed-in user through the core
// (tenancy.OrgBySlug) and keeps the result for the page. NotFound, for
// whatever reason, is the not-found page: whether the organization exists
// is not revealed.
func (h *handlers) uiOrg(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	d, err := h.d.Tenancy.OrgBySlug(c.UserContext(), tenancy.UserActor(p.User), strings.Clone(c.Params("slug")))
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			return h.uiNotFound(c)
		}
		logger(c).Error("organization page: resolve failed", "error", logText(err))
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	c.Locals(uiOrgKey, &orgScope{OrgDetail: d, Base: "/orgs/" + d.Org.Slug})
	return c.Next()
}

// uiOrgAdmin lets owners and admins through to the administration pages;
// members and guests get the forbidden page (they know the organization
// exists: they belong to it). The core checks the role again in every use
// case; this only keeps the pages consistent.
func (h *handlers) uiOrgAdmin(c *fiber.Ctx) error {
	if !orgOf(c).Admin() {
		return h.uiError(c, fiber.StatusForbidden, "common.error.forbidden")
	}
	return c.Next()
}

// orgOf is the organization of a page behind uiOrg.
func orgOf(c *fiber.Ctx) *orgScope {
	o, ok := c.Locals(uiOrgKey).(*orgScope)
	if !ok {
		panic("httpapi: orgOf used on a page without uiOrg")
	}
	return o
}

// orgNav is the organization section's navigation: the overview for
// everyone, the administration pages for owners and admins.
func (h *handlers) orgNav(o *orgScope) []NavItem {
	nav := []NavItem{{Href: o.Base, Label: "org.nav.overview"}}
	if !o.Admin() {
		return nav
	}
	nav = append(nav,
		NavItem{Href: o.Base + "/members", Label: "org.nav.members"},
		NavItem{Href: o.Base + "/invites", Label: "org.nav.invites"})
	if h.d.OIDC != nil {
		nav = append(nav, NavItem{Href: o.Base + "/clients", Label: "org.nav.clients"})
	}
	nav = append(nav, NavItem{Href: o.Base + "/api-keys", Label: "org.nav.api_keys"})
	if h.d.MFA != nil {
		nav = append(nav, NavItem{Href: o.Base + "/mfa", Label: "org.nav.mfa"})
	}
	if h.d.Audit != nil {
		nav = append(nav, NavItem{Href: o.Base + "/audit", Label: "org.nav.audit"})
	}
	return append(nav, NavItem{Href: o.Base + "/settings", Label: "org.nav.settings"})
}

// orgPage starts a page of the organization section. Sub-pages (a client,
// a member's policy) light up their parent's navigation entry.
func (h *handlers) orgPage(c *fiber.Ctx, titleKey string, view any) *page {
	o := orgOf(c)
	nav := h.orgNav(o)
	pg := h.shellPage(c, SectionOrgs, titleKey, view, nav...)
	path := c.Path()
	best := -1
	for i, n := range pg.SubNav {
		if n.Current {
			return pg
		}
		if n.Href != o.Base && strings.HasPrefix(path, n.Href+"/") && (best < 0 || len(n.Href) > len(pg.SubNav[best].Href)) {
			best = i
		}
	}
	if best >= 0 {
		pg.SubNav[best].Current = true
	}
	return pg
}

// formErrors are a form's messages: catalogue keys per field, and Form
// for the form as a whole.
type formErrors struct {
	Fields map[string]string
	Form   string
}

// Has reports whether any message is set.
func (e formErrors) Has() bool { return e.Form != "" || len(e.Fields) > 0 }

// Field is the catalogue key of field's message ("" for none).
func (e formErrors) Field(name string) string { return e.Fields[name] }

// orgFieldErrors turns the core's Invalid error into catalogue keys: each
// field the core names that the form has (known maps the core's field name
// to the form's field and its message key) gets that key; anything else is
// the form's general message.
func orgFieldErrors(err error, known map[string]string) formErrors {
	fe := fault.As(err)
	out := formErrors{Fields: map[string]string{}}
	if fe == nil {
		out.Form = "common.error.invalid"
		return out
	}
	for f := range fe.Fields {
		if key, ok := known[f]; ok {
			out.Fields[f] = key
		} else {
			out.Form = "common.error.invalid"
		}
	}
	if len(fe.Fields) == 0 {
		out.Form = "common.error.invalid"
	}
	return out
}

// orgFail answers a refused or failed action of the organization pages:
// NotFound is the not-found page (another organization's object looks
// like no object); the core's rule refusals (owner protection, a role
// too low, a conflict, a bad value without a form) return to back with a
// flash message; anything else is the generic error page.
func (h *handlers) orgFail(c *fiber.Ctx, back string, err error) error {
	fe := fault.As(err)
	kind := fault.KindOf(err)
	switch {
	case kind == fault.NotFound:
		return h.uiNotFound(c)
	case kind == fault.Forbidden && fe != nil && fe.Code == "OWNER_PROTECTION":
		return h.redirectFlash(c, back, "error", "org.error.owner_protection")
	case kind == fault.Forbidden:
		return h.redirectFlash(c, back, "error", "org.error.forbidden")
	case kind == fault.Conflict:
		return h.redirectFlash(c, back, "error", "org.error.conflict")
	case kind == fault.Invalid:
		return h.redirectFlash(c, back, "error", "common.error.invalid")
	case kind == fault.RateLimited:
		return h.redirectFlash(c, back, "error", "common.error.rate_limited")
	}
	logger(c).Error("organization page failed", "path", logPath(c), "error", logText(err))
	return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
}

// pageParam reads a 1-based ?page= (1 when absent or malformed).
func pageParam(c *fiber.Ctx) int {
	n, err := strconv.Atoi(c.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// pager is a listing's page navigation: previous and next links that keep
// the listing's other query parameters.
type pager struct {
	Page, Pages int
	Prev, Next  string
}

// newPager links the pages of a numbered listing at base (a path with its
// filter query, without page).
func newPager(base string, page, pages int) pager {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	p := pager{Page: page, Pages: pages}
	if page > 1 {
		p.Prev = base + sep + "page=" + strconv.Itoa(page-1)
	}
	if page < pages {
		p.Next = base + sep + "page=" + strconv.Itoa(page+1)
	}
	return p
}
