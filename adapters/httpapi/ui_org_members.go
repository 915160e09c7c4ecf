package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// orgMembersPerPage is the members page's size.
const orgMembersPerPage = 25

// orgOverviewView is the overview: the organization, the viewer's role and
// the MFA policy in a sentence.
type orgOverviewView struct {
	Org *orgScope
	// Policy is nil when the viewer may not read it (guests) or MFA is
	// not wired in.
	Policy *mfa.Policy
}

// orgOverview is GET /orgs/:slug.
func (h *handlers) orgOverview(c *fiber.Ctx) error {
	o := orgOf(c)
	v := orgOverviewView{Org: o}
	if h.d.MFA != nil {
		p, err := h.d.MFA.GetPolicy(c.UserContext(), uiPrincipal(c).User, o.Org.ID)
		switch {
		case err == nil:
			v.Policy = &p
		case fault.Is(err, fault.Forbidden):
		default:
			return h.orgFail(c, o.Base, err)
		}
	}
	pg := h.orgPage(c, "org.overview.title", v)
	pg.Title = o.Org.Name
	return h.sendPage(c, fiber.StatusOK, "org_overview", pg)
}

// orgMemberRow is one member in the table.
type orgMemberRow struct {
	org.MemberUser
	// Self marks the viewer's own row.
	Self bool
	// Manageable says whether the viewer's role acts on this member's
	// (the core decides again on every change).
	Manageable bool
	// Compliance is the member's MFA status in the organization ("" when
	// never evaluated or MFA is not wired in).
	Compliance mfa.Status
}

// Label is how the member is named on buttons and confirmations.
func (r orgMemberRow) Label() string {
	if strings.TrimSpace(r.FullName) != "" {
		return r.FullName + " (" + r.Email + ")"
	}
	return r.Email
}

// orgMembersView is the members page.
type orgMembersView struct {
	Org     *orgScope
	Members []orgMemberRow
	// Roles are the roles the viewer may grant, highest first.
	Roles []org.Role
	Pager pager
	Count int
	// MFA offers the reminder button and the MFA column.
	MFA bool
}

// grantable lists the roles a member with role r may give.
func grantable(r org.Role) []org.Role {
	var out []org.Role
	for _, x := range org.Roles() {
		if org.CanGrant(r, x) {
			out = append(out, x)
		}
	}
	return out
}

// orgMembers is GET /orgs/:slug/members?page=.
func (h *handlers) orgMembers(c *fiber.Ctx) error {
	o := orgOf(c)
	me := uiPrincipal(c).User
	page := pageParam(c)
	list, pi, err := h.d.Tenancy.ListMembers(c.UserContext(), tenancy.UserActor(me), o.Org.ID, "",
		tenancy.PageRequest{Page: page, PerPage: orgMembersPerPage})
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	v := orgMembersView{Org: o, Roles: grantable(o.Role), Count: pi.Count, MFA: h.d.MFA != nil,
		Pager: newPager(o.Base+"/members", pi.Page, pi.Pages)}
	var statuses map[string]mfa.Status
	if h.d.MFA != nil && len(list) > 0 {
		ids := make([]string, len(list))
		for i, m := range list {
			ids[i] = m.UserID
		}
		if statuses, err = h.d.MFA.MemberStatuses(c.UserContext(), me, o.Org.ID, ids); err != nil {
			return h.orgFail(c, o.Base, err)
		}
	}
	for _, m := range list {
		v.Members = append(v.Members, orgMemberRow{MemberUser: m, Self: m.UserID == me.ID, Manageable: org.CanActOn(o.Role, m.Role),
			Compliance: statuses[m.UserID]})
	}
	return h.sendPage(c, fiber.StatusOK, "org_members", h.orgPage(c, "org.members.title", v))
}

// formLabel is the member label a form carries for its confirmation
// (shown escaped; only the viewer's own CSRF-protected post sets it).
func formLabel(c *fiber.Ctx) string {
	s := strings.TrimSpace(c.FormValue("label"))
	if len([]rune(s)) > 200 {
		s = string([]rune(s)[:200])
	}
	return strings.Clone(s)
}

// orgMemberRole is POST /orgs/:slug/members/:user/role (role).
func (h *handlers) orgMemberRole(c *fiber.Ctx) error {
	o := orgOf(c)
	back := o.Base + "/members"
	_, err := h.d.Tenancy.ChangeRole(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID,
		strings.Clone(c.Params("user")), strings.Clone(c.FormValue("role")), requestSource(c))
	if err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.members.role_changed")
}

// orgMemberRemove is POST /orgs/:slug/members/:user/remove: asks first,
// then removes the member (or, for oneself, leaves the organization).
func (h *handlers) orgMemberRemove(c *fiber.Ctx) error {
	o := orgOf(c)
	back := o.Base + "/members"
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "org.members.remove_confirm", Args: []any{formLabel(c), o.Org.Name},
			Button: "org.members.remove", Action: c.Path(), Back: back})
	}
	userID := strings.Clone(c.Params("user"))
	me := uiPrincipal(c).User
	if err := h.d.Tenancy.RemoveMember(c.UserContext(), tenancy.UserActor(me), o.Org.ID, userID, requestSource(c)); err != nil {
		return h.orgFail(c, back, err)
	}
	if userID == me.ID {
		return h.redirectFlash(c, "/account", "success", "org.members.left")
	}
	return h.redirectFlash(c, back, "success", "org.members.removed")
}

// orgMemberTransfer is POST /orgs/:slug/members/:user/transfer: asks
// first, then makes the member the owner (owners only; the core refuses
// anyone else).
func (h *handlers) orgMemberTransfer(c *fiber.Ctx) error {
	o := orgOf(c)
	back := o.Base + "/members"
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "org.members.transfer_confirm", Args: []any{o.Org.Name, formLabel(c)},
			Button: "org.members.transfer", Action: c.Path(), Back: back})
	}
	err := h.d.Tenancy.TransferOwnership(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID,
		strings.Clone(c.Params("user")), requestSource(c))
	if err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.members.transferred")
}

// orgMemberRemind is POST /orgs/:slug/members/:user/remind: the MFA
// reminder email (back=mfa returns to the compliance report).
func (h *handlers) orgMemberRemind(c *fiber.Ctx) error {
	o := orgOf(c)
	back := o.Base + "/members"
	if c.FormValue("back") == "mfa" {
		back = o.Base + "/mfa"
	}
	if h.d.MFA == nil {
		return h.uiNotFound(c)
	}
	err := h.d.MFA.SendReminder(c.UserContext(), uiPrincipal(c).User, o.Org.ID, strings.Clone(c.Params("user")), requestSource(c))
	if fault.Is(err, fault.Conflict) {
		return h.redirectFlash(c, back, "info", "org.mfa.remind_nothing")
	}
	if err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.mfa.reminded")
}

// orgInvitesView is the invites page: the invite form and the pending
// invitations (never their links: those are only in the email).
type orgInvitesView struct {
	Org     *orgScope
	Invites []org.InviteSummary
	Roles   []org.Role
	// Email and Role are the form's values after a refusal.
	Email, Role string
	Errors      formErrors
}

// orgInvites is GET /orgs/:slug/invites.
func (h *handlers) orgInvites(c *fiber.Ctx) error {
	return h.showInvites(c, orgInvitesView{Role: string(org.Member)}, fiber.StatusOK)
}

func (h *handlers) showInvites(c *fiber.Ctx, v orgInvitesView, status int) error {
	o := orgOf(c)
	list, err := h.d.Tenancy.ListInvites(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID)
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	v.Org, v.Invites, v.Roles = o, list, grantable(o.Role)
	return h.sendPage(c, status, "org_invites", h.orgPage(c, "org.invites.title", v))
}

// orgInviteCreate is POST /orgs/:slug/invites (email, role).
func (h *handlers) orgInviteCreate(c *fiber.Ctx) error {
	o := orgOf(c)
	email, role := strings.TrimSpace(strings.Clone(c.FormValue("email"))), strings.Clone(c.FormValue("role"))
	_, err := h.d.Tenancy.CreateInvite(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID, email, role, requestSource(c))
	if err == nil {
		return h.redirectFlash(c, o.Base+"/invites", "success", "org.invites.sent", email)
	}
	v := orgInvitesView{Email: email, Role: role}
	fe := fault.As(err)
	switch kind := fault.KindOf(err); {
	case kind == fault.Invalid:
		v.Errors = orgFieldErrors(err, map[string]string{"email": "org.invites.error.email", "role": "org.invites.error.role"})
	case kind == fault.Conflict:
		v.Errors = formErrors{Fields: map[string]string{"email": "org.invites.error.member"}}
	case kind == fault.Forbidden && fe != nil && fe.Code == "OWNER_PROTECTION":
		v.Errors = formErrors{Fields: map[string]string{"role": "org.error.owner_protection"}}
	case kind == fault.Forbidden:
		v.Errors = formErrors{Fields: map[string]string{"role": "org.invites.error.role_above"}}
	default:
		return h.orgFail(c, o.Base+"/invites", err)
	}
	return h.showInvites(c, v, fiber.StatusUnprocessableEntity)
}

// orgInviteCancel is POST /orgs/:slug/invites/:id/cancel (confirmed).
func (h *handlers) orgInviteCancel(c *fiber.Ctx) error {
	o := orgOf(c)
	back := o.Base + "/invites"
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "org.invites.cancel_confirm", Args: []any{formLabel(c)},
			Button: "org.invites.cancel", Action: c.Path(), Back: back})
	}
	err := h.d.Tenancy.CancelInvite(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID, strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return h.orgFail(c, back, err)
	}
	return h.redirectFlash(c, back, "success", "org.invites.cancelled")
}
