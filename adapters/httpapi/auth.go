package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/account"
	"github.com/secuird/secuird/core/fault"
)

const principalKey = "secuird.principal"

// requireSession authenticates `Authorization: Bearer <token>` (SEED-SPEC
// 3.4), requires full access (level F: a compliance-only session gets 403
// MFA_COMPLIANCE_REQUIRED) and stores the principal for the handler. Every
// authenticated route uses it unless it is on the SEED-SPEC 3.5 allow-list
// and registered with requireAnySession, so a new route is protected by
// default.
func (h *handlers) requireSession(c *fiber.Ctx) error {
	return h.authenticate(c, true)
}

// requireAnySession is requireSession without the full-access check (level
// S): only for the MFA enrolment allow-list of SEED-SPEC 3.5.
func (h *handlers) requireAnySession(c *fiber.Ctx) error {
	return h.authenticate(c, false)
}

func (h *handlers) authenticate(c *fiber.Ctx, full bool) error {
	const op = "httpapi.requireSession"
	hdr := c.Get(fiber.HeaderAuthorization)
	if hdr == "" {
		return fail(c, &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "AUTH_REQUIRED", Msg: "Authorization header is required"})
	}
	scheme, token, ok := strings.Cut(hdr, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return fail(c, &fault.Error{Op: op, Kind: fault.Unauthenticated, Code: "INVALID_AUTH_FORMAT", Msg: "Authorization header must be 'Bearer <token>'"})
	}
	p, err := h.d.Accounts.Authenticate(c.UserContext(), token)
	if err != nil {
		return fail(c, err)
	}
	if full {
		if err := h.d.Accounts.RequireFullAccess(c.UserContext(), p); err != nil {
			return fail(c, err)
		}
	}
	c.Locals(principalKey, &p)
	return c.Next()
}

// principal returns the caller stored by requireSession. Routes that call
// it are always behind requireSession, so a missing principal is a wiring
// bug and panics (the recover middleware answers 500).
func principal(c *fiber.Ctx) account.Principal {
	p, ok := c.Locals(principalKey).(*account.Principal)
	if !ok {
		panic("httpapi: principal used on a route without requireSession")
	}
	return *p
}

type registerBody struct {
	Email           string `json:"email"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
	FullName        string `json:"full_name"`
	RememberMe      bool   `json:"remember_me"`
}

func (h *handlers) register(c *fiber.Ctx) error {
	var b registerBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	r, err := h.d.Accounts.Register(c.UserContext(), account.RegisterInput{
		Email: b.Email, Password: b.Password, PasswordConfirm: b.PasswordConfirm, FullName: b.FullName, RememberMe: b.RememberMe,
	}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "Registration successful", fiber.Map{
		"user": viewUser(r.User), "token": r.Token, "expires_at": r.Session.ExpiresAt,
		"is_first_user": r.IsFirstUser, "pending_invites": viewInvites(r.PendingInvites),
		"requires_org_setup": r.RequiresOrgSetup,
	})
}

type loginBody struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	RememberMe bool   `json:"remember_me"`
}

func (h *handlers) login(c *fiber.Ctx) error {
	var b loginBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	r, err := h.d.Accounts.Login(c.UserContext(), account.LoginInput{Email: b.Email, Password: b.Password, RememberMe: b.RememberMe}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	if r.Pending != nil {
		return respondPending(c, r.Pending)
	}
	return respond(c, fiber.StatusOK, "Login successful", loginData(r))
}

// loginData is the body of a login step that created a session.
func loginData(r account.LoginResult) fiber.Map {
	data := fiber.Map{"user": viewUser(r.User), "token": r.Token, "expires_at": r.Session.ExpiresAt,
		"requires_mfa_enrollment": r.RequiresMFAEnrollment, "compliance_only": r.Session.ComplianceOnly}
	if r.Compliance != nil {
		data["mfa_compliance"] = viewAggregate(*r.Compliance)
	}
	if r.RequiresOrgSetup {
		// SEED-SPEC 8.1 step 6: a user without an organization is sent to
		// org setup, with the invitations that wait for them.
		data["requires_org_setup"], data["pending_invites"] = true, viewInvites(r.PendingInvites)
	}
	return data
}

func (h *handlers) logout(c *fiber.Ctx) error {
	if err := h.d.Accounts.Logout(c.UserContext(), principal(c), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Logged out", nil)
}

func (h *handlers) me(c *fiber.Ctx) error {
	p, err := h.d.Accounts.Me(c.UserContext(), principal(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Profile", profileView{userView: viewUser(p.User), HasPassword: p.HasPassword, Orgs: viewUserOrgs(p.Orgs)})
}

func (h *handlers) listSessions(c *fiber.Ctx) error {
	all, err := h.d.Accounts.ListSessions(c.UserContext(), principal(c))
	if err != nil {
		return fail(c, err)
	}
	out := make([]sessionView, 0, len(all))
	for _, s := range all {
		out = append(out, viewSession(s))
	}
	return respond(c, fiber.StatusOK, "Active sessions", fiber.Map{"sessions": out, "count": len(out)})
}

func (h *handlers) revokeSession(c *fiber.Ctx) error {
	if err := h.d.Accounts.RevokeSession(c.UserContext(), principal(c), c.Params("id"), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Session revoked", nil)
}

func (h *handlers) revokeOtherSessions(c *fiber.Ctx) error {
	n, err := h.d.Accounts.RevokeOtherSessions(c.UserContext(), principal(c), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Other sessions revoked", fiber.Map{"revoked": n})
}

type tokenBody struct {
	Token string `json:"token"`
}

func (h *handlers) verifyEmail(c *fiber.Ctx) error {
	var b tokenBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	u, err := h.d.Accounts.VerifyEmail(c.UserContext(), b.Token, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Email verified", fiber.Map{"user": viewUser(u)})
}

type emailBody struct {
	Email string `json:"email"`
}

const genericMailAnswer = "If an account exists for this address, an email is on its way"

func (h *handlers) resendVerification(c *fiber.Ctx) error {
	var b emailBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	if err := h.d.Accounts.ResendVerification(c.UserContext(), b.Email); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, genericMailAnswer, nil)
}

func (h *handlers) forgotPassword(c *fiber.Ctx) error {
	var b emailBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	if err := h.d.Accounts.ForgotPassword(c.UserContext(), b.Email, requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, genericMailAnswer, nil)
}

type resetBody struct {
	Token           string `json:"token"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
}

func (h *handlers) resetPassword(c *fiber.Ctx) error {
	var b resetBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	err := h.d.Accounts.ResetPassword(c.UserContext(), account.ResetInput{Token: b.Token, Password: b.Password, PasswordConfirm: b.PasswordConfirm}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Password has been reset; please sign in", nil)
}

type profileBody struct {
	FullName  *string `json:"full_name"`
	AvatarURL *string `json:"avatar_url"`
}

func (h *handlers) updateMe(c *fiber.Ctx) error {
	var b profileBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	u, err := h.d.Accounts.UpdateProfile(c.UserContext(), principal(c), account.ProfileInput{FullName: b.FullName, AvatarURL: b.AvatarURL}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Profile updated", fiber.Map{"user": viewUser(u)})
}

func (h *handlers) deleteMe(c *fiber.Ctx) error {
	if err := h.d.Accounts.DeleteAccount(c.UserContext(), principal(c), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Account deleted", nil)
}

type passwordBody struct {
	CurrentPassword    string `json:"current_password"`
	NewPassword        string `json:"new_password"`
	NewPasswordConfirm string `json:"new_password_confirm"`
}

func (h *handlers) changePassword(c *fiber.Ctx) error {
	var b passwordBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	err := h.d.Accounts.ChangePassword(c.UserContext(), principal(c), account.ChangePasswordInput{
		CurrentPassword: b.CurrentPassword, NewPassword: b.NewPassword, NewPasswordConfirm: b.NewPasswordConfirm,
	}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Password changed; other sessions were signed out", nil)
}
