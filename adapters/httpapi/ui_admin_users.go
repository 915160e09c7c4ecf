package httpapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/admin"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/identity"
	"github.com/secuird/secuird/core/tenancy"
)

// adminUsersPerPage is the user list's page size.
const adminUsersPerPage = 25

// adminStatusFilters are the user list's status choices: value and
// catalogue key ("" is every status).
var adminStatusFilters = []struct{ Value, Label string }{
	{"", "admin.users.filter.all"},
	{string(identity.StatusActive), "admin.status.active"},
	{string(identity.StatusSuspended), "admin.status.suspended"},
	{admin.StatusDeleted, "admin.status.deleted"},
	{string(identity.StatusInactive), "admin.status.inactive"},
	{string(identity.StatusPending), "admin.status.pending"},
	{string(identity.StatusComplianceSuspended), "admin.status.compliance_suspended"},
}

// adminOption is one <option> of a select: Label is a catalogue key.
type adminOption struct {
	Value, Label string
	Selected     bool
}

// adminBadge is a user's status as a badge: its catalogue key and class
// (the text carries the meaning, the colour only repeats it).
type adminBadge struct {
	Key, Class string
}

// adminUserBadge is the badge of a user's status (deleted before any status).
func adminUserBadge(u identity.User) adminBadge {
	if u.Deleted() {
		return adminBadge{Key: "admin.status.deleted", Class: "badge-warn"}
	}
	switch u.Status {
	case identity.StatusActive:
		return adminBadge{Key: "admin.status.active", Class: "badge-success"}
	case identity.StatusSuspended, identity.StatusComplianceSuspended:
		return adminBadge{Key: "admin.status." + string(u.Status), Class: "badge-danger"}
	case identity.StatusInactive, identity.StatusPending:
		return adminBadge{Key: "admin.status." + string(u.Status), Class: "badge-info"}
	}
	return adminBadge{Key: "admin.status.unknown", Class: "badge-info"}
}

// adminUserRow is one row of the user list.
type adminUserRow struct {
	ID, Email, Name string
	Badge           adminBadge
	Verified        bool
	PlatformAdmin   bool
	MFA             bool
	Created         time.Time
	LastLogin       *time.Time
}

// adminUsersView is the user list: the search form and one page.
type adminUsersView struct {
	Query    string
	Statuses []adminOption
	Rows     []adminUserRow
	Count    int
	Page     int
	Pages    int
	PrevHref string
	NextHref string
}

// adminUsersPage is GET /admin/users?q=&status=&page=: every user of the
// platform (deleted ones included), searched by email or name substring,
// filtered by status, a page at a time.
func (h *handlers) adminUsersPage(c *fiber.Ctx) error {
	q := strings.TrimSpace(strings.Clone(c.Query("q")))
	status := strings.Clone(c.Query("status"))
	pageNo, _ := strconv.Atoi(c.Query("page"))
	pageNo = max(pageNo, 1)
	list, pi, err := h.d.Admin.ListUsers(c.UserContext(), uiPrincipal(c).User, admin.ListQuery{Search: q, Status: status,
		PageRequest: tenancy.PageRequest{Page: pageNo, PerPage: adminUsersPerPage}})
	if err != nil {
		return h.adminFailPage(c, err)
	}
	v := adminUsersView{Query: q, Count: pi.Count, Page: pi.Page, Pages: max(pi.Pages, 1), Rows: make([]adminUserRow, len(list))}
	for _, f := range adminStatusFilters {
		v.Statuses = append(v.Statuses, adminOption{Value: f.Value, Label: f.Label, Selected: f.Value == status})
	}
	for i, e := range list {
		u := e.User
		v.Rows[i] = adminUserRow{ID: u.ID, Email: u.Email, Name: u.FullName, Badge: adminUserBadge(u), Verified: u.EmailVerified,
			PlatformAdmin: u.IsPlatformAdmin, MFA: e.MFA, Created: u.CreatedAt, LastLogin: u.LastLoginAt}
	}
	link := func(n int) string {
		p := url.Values{}
		if q != "" {
			p.Set("q", q)
		}
		if status != "" {
			p.Set("status", status)
		}
		if n > 1 {
			p.Set("page", strconv.Itoa(n))
		}
		if len(p) == 0 {
			return "/admin/users"
		}
		return "/admin/users?" + p.Encode()
	}
	if pi.Page > 1 {
		v.PrevHref = link(pi.Page - 1)
	}
	if pi.Page < pi.Pages {
		v.NextHref = link(pi.Page + 1)
	}
	return h.sendPage(c, fiber.StatusOK, pageAdminUsers, h.adminPage(c, "admin.users.title", v, "/admin/users"))
}

// adminOrgRow is one organization of a user.
type adminOrgRow struct {
	Name, Slug, RoleKey string
}

// adminMFAView is what the detail page shows of a user's second factors.
type adminMFAView struct {
	TOTP        bool
	BackupCodes int
	Passkeys    []adminPasskeyRow
}

// adminPasskeyRow is one passkey of a user: its handle and name.
type adminPasskeyRow struct {
	ID, Name string
}

// adminUserDetailView is the user detail page.
type adminUserDetailView struct {
	ID, Email, Name string
	Badge           adminBadge
	Verified        bool
	PlatformAdmin   bool
	Created         time.Time
	Updated         time.Time
	LastLogin       *time.Time
	LastLoginIP     string
	Deleted         *time.Time
	Orgs            []adminOrgRow
	Sessions        int
	// Self is the viewer's own account: no actions are offered.
	Self bool
	// MFA is nil when it cannot be shown (own account, deleted user, no
	// MFA service).
	MFA *adminMFAView
	// Offer the actions that fit the user's state (the use cases decide).
	CanSuspend, CanUnsuspend, CanVerify, CanRestore bool
}

// adminUserPage is GET /admin/users/:id: profile, status, organizations
// with roles, MFA summary, sessions, and the actions.
func (h *handlers) adminUserPage(c *fiber.Ctx) error {
	viewer := uiPrincipal(c).User
	id := strings.Clone(c.Params("id"))
	d, err := h.d.Admin.PlatformUser(c.UserContext(), viewer, id)
	if err != nil {
		return h.adminFailPage(c, err)
	}
	u := d.User
	v := adminUserDetailView{ID: u.ID, Email: u.Email, Name: u.FullName, Badge: adminUserBadge(u), Verified: u.EmailVerified,
		PlatformAdmin: u.IsPlatformAdmin, Created: u.CreatedAt, Updated: u.UpdatedAt, LastLogin: u.LastLoginAt,
		LastLoginIP: u.LastLoginIP, Deleted: u.DeletedAt, Sessions: d.Sessions, Self: d.Self}
	for _, uo := range d.Orgs {
		v.Orgs = append(v.Orgs, adminOrgRow{Name: uo.Org.Name, Slug: uo.Org.Slug, RoleKey: "common.role." + string(uo.Membership.Role)})
	}
	live := !u.Deleted()
	if !d.Self {
		v.CanSuspend = live && u.Status != identity.StatusSuspended
		v.CanUnsuspend = live && u.Status == identity.StatusSuspended
		v.CanVerify = live && !u.EmailVerified
		v.CanRestore = !live
	}
	if live && !d.Self && h.d.MFA != nil {
		m, err := h.d.MFA.AdminUserMFA(c.UserContext(), viewer, u.ID)
		if err != nil {
			return h.adminFailPage(c, err)
		}
		mv := &adminMFAView{TOTP: m.TOTP.Enabled, BackupCodes: m.TOTP.BackupCodesRemaining}
		for _, p := range m.Passkeys {
			mv.Passkeys = append(mv.Passkeys, adminPasskeyRow{ID: p.ID, Name: p.Name})
		}
		v.MFA = mv
	}
	return h.sendPage(c, fiber.StatusOK, pageAdminUser, h.adminPage(c, "admin.user.title", v, "/admin/users"))
}

// adminUserBack is the detail page of the user in the path.
func adminUserBack(c *fiber.Ctx) string { return "/admin/users/" + url.PathEscape(c.Params("id")) }

// adminSuspendSubmit is POST /admin/users/:id/suspend (after a
// confirmation): the use case suspends, ends every session and mails the
// user.
func (h *handlers) adminSuspendSubmit(c *fiber.Ctx) error {
	back := adminUserBack(c)
	if !formConfirmed(c) {
		return h.adminConfirmUser(c, back, "admin.user.suspend.confirm", "admin.user.suspend.button", back+"/suspend", nil)
	}
	u, err := h.d.Admin.Suspend(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return h.adminRefusal(c, back, err, "admin.refused.already_suspended")
	}
	return h.redirectFlash(c, back, "success", "admin.user.suspend.done", u.Email)
}

// adminUnsuspendSubmit is POST /admin/users/:id/unsuspend.
func (h *handlers) adminUnsuspendSubmit(c *fiber.Ctx) error {
	back := adminUserBack(c)
	u, err := h.d.Admin.Unsuspend(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return h.adminRefusal(c, back, err, "admin.refused.not_suspended")
	}
	return h.redirectFlash(c, back, "success", "admin.user.unsuspend.done", u.Email)
}

// adminVerifySubmit is POST /admin/users/:id/verify-email.
func (h *handlers) adminVerifySubmit(c *fiber.Ctx) error {
	back := adminUserBack(c)
	u, err := h.d.Admin.VerifyEmail(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return h.adminRefusal(c, back, err, "admin.refused.conflict")
	}
	return h.redirectFlash(c, back, "success", "admin.user.verify.done", u.Email)
}

// adminMFAMethods are the MFA reset choices and their confirmation texts.
var adminMFAMethods = map[string]string{
	"totp":     "admin.user.mfa.confirm_totp",
	"webauthn": "admin.user.mfa.confirm_webauthn",
	"all":      "admin.user.mfa.confirm_all",
}

// adminMFAResetSubmit is POST /admin/users/:id/mfa-reset (method=totp,
// webauthn or all, and credential_id for one passkey; after a
// confirmation): the use case removes the methods, ends every session,
// audits and mails the user.
func (h *handlers) adminMFAResetSubmit(c *fiber.Ctx) error {
	back := adminUserBack(c)
	method := strings.Clone(c.FormValue("method"))
	credential := strings.Clone(c.FormValue("credential_id"))
	msg, ok := adminMFAMethods[method]
	if !ok || h.d.MFA == nil {
		return h.redirectFlash(c, back, "error", "common.error.invalid")
	}
	fields := map[string]string{"method": method}
	if credential != "" {
		msg, fields["credential_id"] = "admin.user.mfa.confirm_passkey", credential
	}
	if !formConfirmed(c) {
		return h.adminConfirmUser(c, back, msg, "admin.user.mfa.button", back+"/mfa-reset", fields)
	}
	err := h.d.MFA.AdminResetMFA(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")), method, credential, requestSource(c))
	if err != nil {
		if fe := fault.As(err); fe != nil && fe.Kind == fault.NotFound && fe.Msg == "The user has no such method" {
			return h.redirectFlash(c, back, "info", "admin.user.mfa.nothing")
		}
		return h.adminRefusal(c, back, err, "admin.refused.conflict")
	}
	return h.redirectFlash(c, back, "success", "admin.user.mfa.done")
}

// adminDeleteSubmit is POST /admin/users/:id/delete: the form carries the
// user's email typed again (confirm_email), which is the confirmation the
// use case requires for a permanent deletion.
func (h *handlers) adminDeleteSubmit(c *fiber.Ctx) error {
	back := adminUserBack(c)
	viewer := uiPrincipal(c).User
	id := strings.Clone(c.Params("id"))
	d, err := h.d.Admin.PlatformUser(c.UserContext(), viewer, id)
	if err != nil {
		return h.adminFailPage(c, err)
	}
	typed, _ := identity.NormalizeEmail(strings.TrimSpace(c.FormValue("confirm_email")))
	if typed == "" || typed != d.User.Email {
		return h.redirectFlash(c, back, "error", "admin.user.delete.mismatch")
	}
	if err := h.d.Admin.HardDelete(c.UserContext(), viewer, id, true, requestSource(c)); err != nil {
		return h.adminRefusal(c, back, err, "admin.refused.conflict")
	}
	return h.redirectFlash(c, "/admin/users", "success", "admin.user.delete.done", d.User.Email)
}

// adminRestoreSubmit is POST /admin/users/:id/restore: undoes a user's own
// soft deletion with the memberships that went with it.
func (h *handlers) adminRestoreSubmit(c *fiber.Ctx) error {
	back := adminUserBack(c)
	u, err := h.d.Admin.Restore(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return h.adminRefusal(c, back, err, "admin.refused.email_taken")
	}
	return h.redirectFlash(c, back, "success", "admin.user.restore.done", u.Email)
}

// adminConfirmUser asks before a destructive action on a user, naming
// the user by email (NotFound for an unknown user).
func (h *handlers) adminConfirmUser(c *fiber.Ctx, back, msg, button, action string, fields map[string]string) error {
	d, err := h.d.Admin.PlatformUser(c.UserContext(), uiPrincipal(c).User, strings.Clone(c.Params("id")))
	if err != nil {
		return h.adminFailPage(c, err)
	}
	return h.uiConfirm(c, SectionAdmin, confirmView{Message: msg, Args: []any{d.User.Email}, Button: button,
		Action: action, Fields: fields, Back: back, Reversible: strings.HasSuffix(action, "/suspend")})
}
