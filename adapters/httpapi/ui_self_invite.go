package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/tenancy"
)

// What the invite page offers (selfInviteView.State).
const (
	// selfInviteJoin: signed in with the invited, verified address.
	selfInviteJoin = "join"
	// selfInviteMismatch: signed in with another address.
	selfInviteMismatch = "mismatch"
	// selfInviteUnverified: signed in with the invited address, not verified yet.
	selfInviteUnverified = "unverified"
	// selfInviteRestricted: a compliance-only session (MFA setup first).
	selfInviteRestricted = "restricted"
	// selfInviteSignIn: not signed in; an account exists for the address.
	selfInviteSignIn = "signin"
	// selfInviteSignUp: not signed in; no account: the registration form.
	selfInviteSignUp = "signup"
)

// selfInviteView is the invite page: the invitation (organization, role,
// address) and what this browser can do with it.
type selfInviteView struct {
	// Expired: no token, or it is unknown, used, cancelled or expired.
	Expired bool
	OrgName string
	// RoleKey is the role's catalogue key (common.role.*).
	RoleKey     string
	Email       string
	InviterName string
	// State is one of the selfInvite* constants.
	State string
	// SignedInEmail is the current user's address (mismatch, unverified).
	SignedInEmail string
	// InviteID names the invitation for the decline form (not a secret:
	// the core declines only the caller's own invitations).
	InviteID string
	// FullName and Errors belong to the registration form.
	FullName string
	Errors   map[string]string
}

// selfInvitePage is GET /invite: with ?token= the token moves into a cookie
// (Path=/invite), so it survives a sign-in (/login?next=/invite) without
// staying in the URL. The page never accepts anything by itself: a
// signed-in invitee presses "Join", an existing account signs in first,
// a new person registers.
func (h *handlers) selfInvitePage(c *fiber.Ctx) error {
	if moved, err := h.selfStashToken(c, selfInviteCookie, "/invite", selfInviteTTL); moved {
		return err
	}
	return h.selfShowInvite(c, fiber.StatusOK, "", nil)
}

// selfShowInvite renders the invite page for the cookie's token; fullName and
// errs refill the registration form.
func (h *handlers) selfShowInvite(c *fiber.Ctx, status int, fullName string, errs map[string]string) error {
	tok := selfLinkToken(c, selfInviteCookie)
	if tok == "" {
		return h.selfInviteExpired(c)
	}
	info, err := h.d.Tenancy.LookupInvite(c.UserContext(), tok)
	if fault.Is(err, fault.NotFound) {
		return h.selfInviteExpired(c)
	}
	if err != nil {
		return h.selfFailure(c, err)
	}
	v := selfInviteView{InviteID: info.ID, OrgName: info.OrgName, RoleKey: "common.role." + string(info.Role), Email: info.Email,
		InviterName: info.InviterName, FullName: fullName, Errors: errs}
	switch p := selfPrincipal(c); {
	case p == nil && info.UserExists:
		v.State = selfInviteSignIn
	case p == nil:
		v.State = selfInviteSignUp
	case !p.FullAccess():
		v.State = selfInviteRestricted
	case !strings.EqualFold(p.User.Email, info.Email):
		v.State, v.SignedInEmail = selfInviteMismatch, p.User.Email
	case !p.User.EmailVerified:
		v.State, v.SignedInEmail = selfInviteUnverified, p.User.Email
	default:
		v.State = selfInviteJoin
	}
	pg := h.newPage(c, "self.invite.title", v)
	pg.OrgBrand = &OrgBrand{Name: info.OrgName, LogoURL: info.OrgLogoURL}
	return h.sendPage(c, status, "invite", pg)
}

// selfInviteExpired clears the cookie and explains that the invitation is no
// longer valid.
func (h *handlers) selfInviteExpired(c *fiber.Ctx) error {
	h.selfClearToken(c, selfInviteCookie, "/invite")
	return h.sendPage(c, fiber.StatusGone, "invite", h.newPage(c, "self.invite.expired_title", selfInviteView{Expired: true}))
}

// selfInviteAccept is POST /invite/accept (signed in, full session):
// tenancy.AcceptInvite with the caller, which requires the invite's
// verified address.
func (h *handlers) selfInviteAccept(c *fiber.Ctx) error {
	tok := selfLinkToken(c, selfInviteCookie)
	if tok == "" {
		return h.selfInviteExpired(c)
	}
	a := tenancy.UserActor(uiPrincipal(c).User)
	res, err := h.d.Tenancy.AcceptInvite(c.UserContext(), &a, tok, tenancy.SignUp{}, requestSource(c))
	switch {
	case err == nil:
		h.selfClearToken(c, selfInviteCookie, "/invite")
		return h.redirectFlash(c, "/account/organizations", "success", "self.invite.joined", res.Org.Name)
	case fault.Is(err, fault.NotFound):
		return h.selfInviteExpired(c)
	case fault.Is(err, fault.Conflict):
		h.selfClearToken(c, selfInviteCookie, "/invite")
		return h.redirectFlash(c, "/account/organizations", "info", "self.invite.already_member")
	case fault.Is(err, fault.Forbidden):
		// Another address, or not verified: the page explains which.
		return h.redirectFlash(c, "/invite", "error", "self.invite.not_yours")
	}
	return h.selfFailure(c, err)
}

// selfInviteRegister is POST /invite/register (not signed in): the new
// account is created and joins in one step (tenancy.AcceptInvite with a
// SignUp; the link proved the address, so it is verified), then signs in
// through the same continuation as a login, so an organization's MFA
// policy leads to enrolment. An existing account is never signed in by
// the link: it is sent to the sign-in step instead.
func (h *handlers) selfInviteRegister(c *fiber.Ctx) error {
	if selfPrincipal(c) != nil {
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect("/invite", fiber.StatusSeeOther)
	}
	tok := selfLinkToken(c, selfInviteCookie)
	if tok == "" {
		return h.selfInviteExpired(c)
	}
	name := strings.TrimSpace(c.FormValue("full_name"))
	res, err := h.d.Tenancy.AcceptInvite(c.UserContext(), nil, tok, tenancy.SignUp{
		FullName: name, Password: c.FormValue("password"), PasswordConfirm: c.FormValue("password_confirm"),
	}, requestSource(c))
	switch {
	case err == nil && res.Registration != nil:
		h.selfClearToken(c, selfInviteCookie, "/invite")
		h.setFlash(c, "success", "self.invite.joined", res.Org.Name)
		return h.signInContinue(c, res.Registration.LoginResult(), loginContinuation{Next: "/account/organizations"})
	case err == nil:
		return h.selfFailure(c, fault.Internalf("httpapi.selfInviteRegister", "invite accepted without a registration"))
	case fault.Is(err, fault.NotFound):
		return h.selfInviteExpired(c)
	case fault.Is(err, fault.Unauthenticated):
		// An account exists for the address (created meanwhile): sign in.
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Redirect("/invite", fiber.StatusSeeOther)
	}
	if errs := coreFieldKeys(err); errs != nil {
		return h.selfShowInvite(c, fiber.StatusUnprocessableEntity, name, errs)
	}
	return h.selfFailure(c, err)
}

// selfInviteDecline is POST /invite/decline (signed in, full session):
// after a confirmation, tenancy.DeclineMyInvite cancels the invitation
// (only one waiting for the caller's verified address), so its link
// stops working.
func (h *handlers) selfInviteDecline(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("invite_id"))
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "self.invite.decline_confirm", Button: "self.invite.decline",
			Action: "/invite/decline", Fields: map[string]string{"invite_id": id}, Back: "/invite"})
	}
	err := h.d.Tenancy.DeclineMyInvite(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), id, requestSource(c))
	switch {
	case err == nil:
		h.selfClearToken(c, selfInviteCookie, "/invite")
		return h.redirectFlash(c, "/account/organizations", "success", "self.invite.declined")
	case fault.Is(err, fault.NotFound):
		return h.selfInviteExpired(c)
	}
	return h.selfFailure(c, err)
}
