package httpapi

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
)

// mfaRoutes registers the TOTP, passkey, security policy, compliance and
// admin MFA endpoints (SEED-SPEC 4.4, 4.5, 4.7, 4.8, 4.10). The login
// steps (POST /auth/totp/verify, /auth/webauthn/login/*) arrive with the
// login state machine.
func (h *handlers) mfaRoutes(v1 fiber.Router) {
	if h.d.MFA == nil {
		return
	}
	// allowed (level S) only for the SEED-SPEC 3.5 allow-list.
	auth, allowed := h.requireSession, h.requireAnySession
	a := v1.Group("/auth")
	a.Post("/totp/enroll", allowed, h.totpEnroll)
	a.Post("/totp/verify-enrollment", allowed, h.totpVerifyEnrollment)
	a.Get("/totp/status", allowed, h.totpStatus)
	a.Delete("/totp/disable", auth, h.stepUp, h.totpDisable)
	a.Post("/totp/regenerate-backup-codes", auth, h.stepUp, h.totpRegenerate)
	a.Post("/webauthn/register/begin", allowed, h.webauthnRegisterBegin)
	a.Post("/webauthn/register/complete", allowed, h.webauthnRegisterComplete)
	a.Get("/webauthn/credentials", allowed, h.webauthnList)
	a.Patch("/webauthn/credentials/:id", auth, h.webauthnRename)
	a.Delete("/webauthn/credentials/:id", auth, h.stepUp, h.webauthnDelete)
	a.Get("/webauthn/status", allowed, h.webauthnStatus)

	v1.Get("/users/me/mfa-compliance", allowed, h.myCompliance)
	o := v1.Group("/organizations/:org")
	o.Get("/security-policy", auth, h.getPolicy)
	o.Put("/security-policy", auth, h.putPolicy)
	o.Get("/mfa-compliance", auth, h.listCompliance)
	o.Patch("/users/:user/security-policy", auth, h.putOverride)
	o.Post("/members/:user/send-mfa-reminder", auth, h.sendReminder)
	v1.Get("/admin/users/:id/mfa", auth, h.adminUserMFA)
	v1.Delete("/admin/users/:id/mfa/:what", auth, h.adminResetMFA)
}

func (h *handlers) totpEnroll(c *fiber.Ctx) error {
	p := principal(c)
	en, err := h.d.MFA.EnrollTOTP(c.UserContext(), p.User, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Scan the QR code, then confirm with a code", fiber.Map{
		"secret": en.Secret, "provisioning_uri": en.ProvisioningURI, "qr_code": en.QRCode, "backup_codes": en.BackupCodes,
	})
}

type codeBody struct {
	Code string `json:"code"`
}

func (h *handlers) totpVerifyEnrollment(c *fiber.Ctx) error {
	var b codeBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	if err := h.d.MFA.VerifyEnrollment(c.UserContext(), principal(c).User, b.Code, requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Two-factor authentication enabled", fiber.Map{"totp_enabled": true})
}

func (h *handlers) totpStatus(c *fiber.Ctx) error {
	st, err := h.d.MFA.StatusTOTP(c.UserContext(), principal(c).User.ID)
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "TOTP status", fiber.Map{
		"totp_enabled": st.Enabled, "verified_at": st.VerifiedAt, "backup_codes_remaining": st.BackupCodesRemaining,
	})
}

type proofBody struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

// proof turns a body into fresh proof of identity.
func proof(b proofBody) mfaflow.Proof { return mfaflow.Proof{Password: b.Password, Code: b.Code} }

func (h *handlers) totpDisable(c *fiber.Ctx) error {
	var b proofBody
	if len(c.Body()) > 0 {
		if err := decodeJSON(c, &b); err != nil {
			return fail(c, err)
		}
	}
	if err := h.d.MFA.DisableTOTP(c.UserContext(), principal(c).User, proof(b), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Two-factor authentication disabled", nil)
}

func (h *handlers) totpRegenerate(c *fiber.Ctx) error {
	var b proofBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	codes, err := h.d.MFA.RegenerateBackupCodes(c.UserContext(), principal(c).User, proof(b), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "New backup codes", fiber.Map{"backup_codes": codes})
}

// rawOptions answers a ceremony's first step with the browser's options
// as they are (SEED-SPEC 3.1: not enveloped) plus session_token, which the
// client sends back (also in the X-WebAuthn-Session-Token header).
func rawOptions(c *fiber.Ctx, ch mfaflow.Challenge) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(ch.Options, &m); err != nil {
		return fail(c, fault.Wrap("httpapi.rawOptions", fault.Internal, err))
	}
	tok, _ := json.Marshal(ch.SessionToken)
	m["session_token"] = tok
	c.Set("X-WebAuthn-Session-Token", ch.SessionToken)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusOK).JSON(m)
}

func (h *handlers) webauthnRegisterBegin(c *fiber.Ctx) error {
	ch, err := h.d.MFA.BeginRegistration(c.UserContext(), principal(c).User, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return rawOptions(c, ch)
}

type ceremonyBody struct {
	SessionToken string          `json:"session_token"`
	Credential   json.RawMessage `json:"credential"`
	Name         string          `json:"name"`
}

func sessionToken(c *fiber.Ctx, b ceremonyBody) string {
	if b.SessionToken != "" {
		return b.SessionToken
	}
	return c.Get("X-WebAuthn-Session-Token")
}

func (h *handlers) webauthnRegisterComplete(c *fiber.Ctx) error {
	var b ceremonyBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	p, err := h.d.MFA.FinishRegistration(c.UserContext(), principal(c).User, sessionToken(c, b), b.Credential, b.Name, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusCreated, "Passkey registered", fiber.Map{"credential": viewPasskey(p)})
}

type passkeyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Transports []string   `json:"transports"`
	AAGUID     string     `json:"aaguid,omitempty"`
	Synced     bool       `json:"backup_eligible"`
	SignCount  uint32     `json:"sign_count"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func viewPasskey(p mfa.Passkey) passkeyView {
	return passkeyView{ID: p.ID, Name: p.Name, Transports: p.Transports, AAGUID: p.AAGUID, Synced: p.BackupEligible,
		SignCount: p.SignCount, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

func (h *handlers) webauthnList(c *fiber.Ctx) error {
	all, err := h.d.MFA.ListPasskeys(c.UserContext(), principal(c).User.ID)
	if err != nil {
		return fail(c, err)
	}
	out := make([]passkeyView, 0, len(all))
	for _, p := range all {
		out = append(out, viewPasskey(p))
	}
	return respond(c, fiber.StatusOK, "Passkeys", fiber.Map{"credentials": out, "count": len(out)})
}

type nameBody struct {
	Name string `json:"name"`
}

func (h *handlers) webauthnRename(c *fiber.Ctx) error {
	var b nameBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	p, err := h.d.MFA.RenamePasskey(c.UserContext(), principal(c).User, c.Params("id"), b.Name, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Passkey renamed", fiber.Map{"credential": viewPasskey(p)})
}

func (h *handlers) webauthnDelete(c *fiber.Ctx) error {
	if err := h.d.MFA.DeletePasskey(c.UserContext(), principal(c).User, c.Params("id"), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Passkey deleted", nil)
}

func (h *handlers) webauthnStatus(c *fiber.Ctx) error {
	st, err := h.d.MFA.StatusPasskeys(c.UserContext(), principal(c).User.ID)
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Passkey status", fiber.Map{"webauthn_enabled": st.Enabled, "credential_count": st.Count})
}

// viewAggregate renders a user's compliance (SEED-SPEC 9.5).
func viewAggregate(a mfa.Aggregate) fiber.Map {
	orgs := make([]fiber.Map, 0, len(a.Orgs))
	for _, r := range a.Orgs {
		orgs = append(orgs, fiber.Map{
			"organization_id": r.OrgID, "organization_name": r.OrgName, "status": r.Status,
			"deadline_at": r.Record.DeadlineAt, "missing_methods": r.Missing, "policy_version": r.Record.PolicyVersion,
		})
	}
	return fiber.Map{"overall_status": a.Overall, "missing_methods": a.Missing, "deadline_at": a.Deadline,
		"requires_mfa_enrollment": a.Restricted(), "organizations": orgs}
}

func (h *handlers) myCompliance(c *fiber.Ctx) error {
	a, err := h.d.MFA.EvaluateUser(c.UserContext(), principal(c).User.ID, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "MFA compliance", viewAggregate(a))
}

func viewPolicy(p mfa.Policy) fiber.Map {
	return fiber.Map{"organization_id": p.OrgID, "mfa_policy_mode": p.Mode, "mfa_grace_period_days": p.GraceDays,
		"notify_days_before": p.NotifyDaysBefore, "policy_version": p.Version}
}

func (h *handlers) getPolicy(c *fiber.Ctx) error {
	p, err := h.d.MFA.GetPolicy(c.UserContext(), principal(c).User, c.Params("org"))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Security policy", fiber.Map{"policy": viewPolicy(p)})
}

type policyBody struct {
	Mode       *string `json:"mfa_policy_mode"`
	GraceDays  *int    `json:"mfa_grace_period_days"`
	NotifyDays *int    `json:"notify_days_before"`
}

func (h *handlers) putPolicy(c *fiber.Ctx) error {
	var b policyBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	p, err := h.d.MFA.PutPolicy(c.UserContext(), principal(c).User, c.Params("org"),
		mfaflow.PolicyInput{Mode: b.Mode, GraceDays: b.GraceDays, NotifyDays: b.NotifyDays}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Security policy updated", fiber.Map{"policy": viewPolicy(p)})
}

func (h *handlers) listCompliance(c *fiber.Ctx) error {
	page, _ := strconv.Atoi(c.Query("page", "1"))
	per, _ := strconv.Atoi(c.Query("page_size", c.Query("per_page", "20")))
	if page < 1 {
		page = 1
	}
	if per < 1 || per > 100 {
		per = 20
	}
	rows, n, err := h.d.MFA.ListCompliance(c.UserContext(), principal(c).User, c.Params("org"), c.Query("status"), (page-1)*per, per)
	if err != nil {
		return fail(c, err)
	}
	out := make([]fiber.Map, 0, len(rows))
	for _, r := range rows {
		out = append(out, fiber.Map{
			"user_id": r.Record.UserID, "email": r.User.Email, "full_name": r.User.FullName, "status": r.Status,
			"policy_version": r.Record.PolicyVersion, "applied_at": r.Record.AppliedAt, "deadline_at": r.Record.DeadlineAt,
			"compliant_at": r.Record.CompliantAt, "suspended_at": r.Record.SuspendedAt, "last_notified_at": r.Record.LastNotifiedAt,
			"notification_count": r.Record.NotificationCount,
		})
	}
	return respond(c, fiber.StatusOK, "MFA compliance", fiber.Map{
		"compliance": out, "page": page, "per_page": per, "pages": (n + per - 1) / per, "count": n,
	})
}

type overrideBody struct {
	Mode          *string `json:"mfa_override_mode"`
	ForceTOTP     *bool   `json:"force_totp"`
	ForceWebAuthn *bool   `json:"force_webauthn"`
}

func (h *handlers) putOverride(c *fiber.Ctx) error {
	var b overrideBody
	if err := decodeJSON(c, &b); err != nil {
		return fail(c, err)
	}
	o, err := h.d.MFA.PutOverride(c.UserContext(), principal(c).User, c.Params("org"), c.Params("user"),
		mfaflow.OverrideInput{Mode: b.Mode, ForceTOTP: b.ForceTOTP, ForceWebAuthn: b.ForceWebAuthn}, requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "User security policy updated", fiber.Map{"override": fiber.Map{
		"organization_id": o.OrgID, "user_id": o.UserID, "mfa_override_mode": o.Mode, "force_totp": o.ForceTOTP, "force_webauthn": o.ForceWebAuthn,
	}})
}

func (h *handlers) sendReminder(c *fiber.Ctx) error {
	if err := h.d.MFA.SendReminder(c.UserContext(), principal(c).User, c.Params("org"), c.Params("user"), requestSource(c)); err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "Reminder sent", nil)
}

func (h *handlers) adminUserMFA(c *fiber.Ctx) error {
	m, err := h.d.MFA.AdminUserMFA(c.UserContext(), principal(c).User, c.Params("id"))
	if err != nil {
		return fail(c, err)
	}
	pks := make([]passkeyView, 0, len(m.Passkeys))
	for _, p := range m.Passkeys {
		pks = append(pks, viewPasskey(p))
	}
	return respond(c, fiber.StatusOK, "MFA methods", fiber.Map{
		"totp":     fiber.Map{"totp_enabled": m.TOTP.Enabled, "verified_at": m.TOTP.VerifiedAt, "backup_codes_remaining": m.TOTP.BackupCodesRemaining},
		"webauthn": fiber.Map{"webauthn_enabled": len(pks) > 0, "credentials": pks},
	})
}

func (h *handlers) adminResetMFA(c *fiber.Ctx) error {
	err := h.d.MFA.AdminResetMFA(c.UserContext(), principal(c).User, c.Params("id"), c.Params("what"), c.Query("credential_id"), requestSource(c))
	if err != nil {
		return fail(c, err)
	}
	return respond(c, fiber.StatusOK, "MFA reset; the user's sessions were ended", nil)
}
