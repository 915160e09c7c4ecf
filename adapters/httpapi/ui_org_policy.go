package httpapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/auditlog"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/mfa"
	"github.com/secuird/secuird/core/mfaflow"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// orgCompliancePerPage is the compliance report's page size.
const orgCompliancePerPage = 25

// complianceStatuses are the report's filter choices.
var complianceStatuses = []mfa.Status{mfa.StatusPending, mfa.StatusInGrace, mfa.StatusPastDue, mfa.StatusSuspended,
	mfa.StatusCompliant, mfa.StatusNotApplicable}

// orgMFAView is the MFA policy page: the policy form and the compliance
// report.
type orgMFAView struct {
	Org    *orgScope
	Policy mfa.Policy
	// Mode, Grace and Notify are the form's values (as typed after a
	// refusal).
	Mode, Grace, Notify string
	Modes               []mfa.Mode
	Errors              formErrors
	Rows                []mfaflow.ComplianceRow
	Statuses            []mfa.Status
	// Status is the report's filter ("" for all).
	Status string
	Pager  pager
	Count  int
}

// Remindable reports whether a member in status s can be reminded.
func (orgMFAView) Remindable(s mfa.Status) bool {
	return s != mfa.StatusCompliant && s != mfa.StatusNotApplicable && s != ""
}

// orgMFA is GET /orgs/:slug/mfa?status=&page=.
func (h *handlers) orgMFA(c *fiber.Ctx) error {
	return h.showMFA(c, orgMFAView{}, fiber.StatusOK)
}

func (h *handlers) showMFA(c *fiber.Ctx, v orgMFAView, status int) error {
	o := orgOf(c)
	me := uiPrincipal(c).User
	p, err := h.d.MFA.GetPolicy(c.UserContext(), me, o.Org.ID)
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	v.Org, v.Policy, v.Modes, v.Statuses = o, p, mfa.Modes(), complianceStatuses
	if !v.Errors.Has() {
		v.Mode, v.Grace, v.Notify = string(p.Mode), strconv.Itoa(p.GraceDays), strconv.Itoa(p.NotifyDaysBefore)
	}
	v.Status = strings.Clone(c.Query("status"))
	if !mfa.Status(v.Status).Valid() {
		v.Status = ""
	}
	page := pageParam(c)
	rows, n, err := h.d.MFA.ListCompliance(c.UserContext(), me, o.Org.ID, v.Status, (page-1)*orgCompliancePerPage, orgCompliancePerPage)
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	base := o.Base + "/mfa"
	if v.Status != "" {
		base += "?status=" + url.QueryEscape(v.Status)
	}
	v.Rows, v.Count = rows, n
	v.Pager = newPager(base, page, (n+orgCompliancePerPage-1)/orgCompliancePerPage)
	return h.sendPage(c, status, "org_mfa", h.orgPage(c, "org.mfa.title", v))
}

// orgMFASave is POST /orgs/:slug/mfa (mode, grace_days, notify_days): the
// core bumps the policy's version and re-evaluates every member.
func (h *handlers) orgMFASave(c *fiber.Ctx) error {
	o := orgOf(c)
	v := orgMFAView{Mode: strings.Clone(c.FormValue("mfa_policy_mode")), Grace: strings.Clone(c.FormValue("mfa_grace_period_days")),
		Notify: strings.Clone(c.FormValue("notify_days_before"))}
	in := mfaflow.PolicyInput{Mode: &v.Mode}
	v.Errors = formErrors{Fields: map[string]string{}}
	if n, err := strconv.Atoi(strings.TrimSpace(v.Grace)); err == nil {
		in.GraceDays = &n
	} else {
		v.Errors.Fields["mfa_grace_period_days"] = "org.mfa.error.grace"
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v.Notify)); err == nil {
		in.NotifyDays = &n
	} else {
		v.Errors.Fields["notify_days_before"] = "org.mfa.error.notify"
	}
	if v.Errors.Has() {
		return h.showMFA(c, v, fiber.StatusUnprocessableEntity)
	}
	_, err := h.d.MFA.PutPolicy(c.UserContext(), uiPrincipal(c).User, o.Org.ID, in, requestSource(c))
	if fault.Is(err, fault.Invalid) {
		v.Errors = orgFieldErrors(err, map[string]string{"mfa_policy_mode": "org.mfa.error.mode",
			"mfa_grace_period_days": "org.mfa.error.grace", "notify_days_before": "org.mfa.error.notify"})
		return h.showMFA(c, v, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.orgFail(c, o.Base+"/mfa", err)
	}
	return h.redirectFlash(c, o.Base+"/mfa", "success", "org.mfa.saved")
}

// orgMFAMemberView is one member's MFA override form.
type orgMFAMemberView struct {
	Org    *orgScope
	Member mfaflow.MemberPolicy
	Modes  []mfa.OverrideMode
}

// orgMFAMember is GET /orgs/:slug/mfa/users/:user.
func (h *handlers) orgMFAMember(c *fiber.Ctx) error {
	o := orgOf(c)
	mp, err := h.d.MFA.MemberPolicy(c.UserContext(), uiPrincipal(c).User, o.Org.ID, strings.Clone(c.Params("user")))
	if err != nil {
		return h.orgFail(c, o.Base+"/mfa", err)
	}
	v := orgMFAMemberView{Org: o, Member: mp, Modes: []mfa.OverrideMode{mfa.OverrideInherit, mfa.OverrideRequired, mfa.OverrideExempt}}
	name := mp.User.FullName
	if strings.TrimSpace(name) == "" {
		name = mp.User.Email
	}
	pg := h.orgPage(c, "org.mfa.member_title", v)
	pg.Title = pg.T("org.mfa.member_title", name)
	return h.sendPage(c, fiber.StatusOK, "org_mfa_member", pg)
}

// orgMFAMemberSave is POST /orgs/:slug/mfa/users/:user (mode, force_totp,
// force_webauthn): the core re-evaluates the member.
func (h *handlers) orgMFAMemberSave(c *fiber.Ctx) error {
	o := orgOf(c)
	userID := strings.Clone(c.Params("user"))
	mode := strings.Clone(c.FormValue("mfa_override_mode"))
	totp, webauthn := c.FormValue("force_totp") != "", c.FormValue("force_webauthn") != ""
	_, err := h.d.MFA.PutOverride(c.UserContext(), uiPrincipal(c).User, o.Org.ID, userID,
		mfaflow.OverrideInput{Mode: &mode, ForceTOTP: &totp, ForceWebAuthn: &webauthn}, requestSource(c))
	if err != nil {
		return h.orgFail(c, o.Base+"/mfa/users/"+url.PathEscape(userID), err)
	}
	return h.redirectFlash(c, o.Base+"/mfa", "success", "org.mfa.override_saved")
}

// orgAuditView is the organization's audit log.
type orgAuditView struct {
	Org     *orgScope
	Entries []audit.Entry
	// Names maps member IDs to display names (one query for the page).
	Names   map[string]string
	Members []org.MemberUser
	// The filter's values as given.
	Action, Actor, Success, Since, Until string
	Errors                               formErrors
	// Next continues with older entries; First returns to the newest.
	Next, First string
	// Filter is the filter's query string.
	Filter string
	// ExportCSV and ExportJSONL download every entry the filter selects.
	ExportCSV, ExportJSONL string
	// Paged is true when a cursor is in use.
	Paged bool
}

// ActorName is the display name of an actor ID: a member's name, else
// the ID (a former member or the system).
func (v orgAuditView) ActorName(id string) string {
	if n, ok := v.Names[id]; ok {
		return n
	}
	return id
}

// orgAuditQuery reads the audit page's filters into the core's query and
// the view's echo of them; dates are whole days (since inclusive, until
// inclusive of that day).
func orgAuditQuery(c *fiber.Ctx, orgID string) (auditlog.Query, orgAuditView) {
	q := auditlog.Query{Scope: auditlog.Org, OrgID: orgID}
	v := orgAuditView{Errors: formErrors{Fields: map[string]string{}}}
	get := func(name string) string { return strings.TrimSpace(strings.Clone(c.Query(name))) }
	v.Action, v.Actor, v.Success, v.Since, v.Until = get("action"), get("actor"), get("success"), get("since"), get("until")
	q.Action, q.ActorID, q.Cursor = v.Action, v.Actor, get("cursor")
	switch v.Success {
	case "true", "false":
		b := v.Success == "true"
		q.Success = &b
	case "":
	default:
		v.Errors.Fields["success"] = "org.audit.error.success"
	}
	if v.Since != "" {
		if d, err := time.Parse(time.DateOnly, v.Since); err == nil {
			q.Since = d
		} else {
			v.Errors.Fields["since"] = "org.audit.error.date"
		}
	}
	if v.Until != "" {
		if d, err := time.Parse(time.DateOnly, v.Until); err == nil {
			q.Until = d.AddDate(0, 0, 1)
		} else {
			v.Errors.Fields["until"] = "org.audit.error.date"
		}
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		v.Errors.Fields["until"] = "org.audit.error.range"
	}
	f := url.Values{}
	for k, val := range map[string]string{"action": v.Action, "actor": v.Actor, "success": v.Success, "since": v.Since, "until": v.Until} {
		if val != "" {
			f.Set(k, val)
		}
	}
	v.Filter = f.Encode()
	v.Paged = q.Cursor != ""
	return q, v
}

// orgAudit is GET /orgs/:slug/audit with the filters action, actor,
// success, since, until (dates) and cursor (keyset paging).
func (h *handlers) orgAudit(c *fiber.Ctx) error {
	o := orgOf(c)
	me := uiPrincipal(c).User
	q, v := orgAuditQuery(c, o.Org.ID)
	v.Org = o
	exp := o.Base + "/audit/export?format="
	v.ExportCSV, v.ExportJSONL = exp+auditFormatCSV, exp+auditFormatJSONL
	if v.Filter != "" {
		v.ExportCSV += "&" + v.Filter
		v.ExportJSONL += "&" + v.Filter
	}
	byRole, err := h.d.Tenancy.Roles(c.UserContext(), tenancy.UserActor(me), o.Org.ID)
	if err != nil {
		return h.orgFail(c, o.Base, err)
	}
	v.Names = map[string]string{}
	for _, r := range org.Roles() {
		for _, m := range byRole[r] {
			v.Members = append(v.Members, m)
			name := m.FullName
			if strings.TrimSpace(name) == "" {
				name = m.Email
			}
			v.Names[m.UserID] = name
		}
	}
	status := fiber.StatusOK
	if v.Errors.Has() {
		status = fiber.StatusUnprocessableEntity
	} else {
		p, err := h.d.Audit.List(c.UserContext(), me, q)
		if fault.Is(err, fault.Invalid) {
			v.Errors.Form, status = "org.audit.error.query", fiber.StatusUnprocessableEntity
		} else if err != nil {
			return h.orgFail(c, o.Base, err)
		}
		v.Entries = p.Entries
		base := o.Base + "/audit"
		if v.Filter != "" {
			base += "?" + v.Filter
		}
		v.First = base
		if p.Next != "" {
			sep := "?"
			if v.Filter != "" {
				sep = "&"
			}
			v.Next = base + sep + "cursor=" + url.QueryEscape(p.Next)
		}
	}
	return h.sendPage(c, status, "org_audit", h.orgPage(c, "org.audit.title", v))
}

// orgAuditExport is GET /orgs/:slug/audit/export?format=csv|jsonl with the
// audit page's filters: every matching entry as a download, streamed
// through the same core use case (auditlog.Export) and writers as the REST
// export, with the browser's session.
func (h *handlers) orgAuditExport(c *fiber.Ctx) error {
	o := orgOf(c)
	q, v := orgAuditQuery(c, o.Org.ID)
	q.Cursor = ""
	format := c.Query("format")
	if v.Errors.Has() || (format != auditFormatCSV && format != auditFormatJSONL) {
		return h.redirectFlash(c, o.Base+"/audit", "error", "org.audit.error.query")
	}
	seq, err := h.d.Audit.Export(c.UserContext(), uiPrincipal(c).User, q)
	if err != nil {
		return h.orgFail(c, o.Base+"/audit", err)
	}
	return streamAudit(c, seq, "audit-logs-"+fileSafe(o.Org.Slug), format)
}

// orgSettingsView is the settings page: name, description, logo, and the
// owner's delete form.
type orgSettingsView struct {
	Org                        *orgScope
	Name, Description, LogoURL string
	Errors                     formErrors
	// DeleteError is the delete form's message (catalogue key).
	DeleteError string
}

// orgSettings is GET /orgs/:slug/settings.
func (h *handlers) orgSettings(c *fiber.Ctx) error {
	o := orgOf(c)
	return h.showSettings(c, orgSettingsView{Name: o.Org.Name, Description: o.Org.Description, LogoURL: o.Org.LogoURL}, fiber.StatusOK)
}

func (h *handlers) showSettings(c *fiber.Ctx, v orgSettingsView, status int) error {
	v.Org = orgOf(c)
	return h.sendPage(c, status, "org_settings", h.orgPage(c, "org.settings.title", v))
}

// orgSettingsSave is POST /orgs/:slug/settings (name, description,
// logo_url).
func (h *handlers) orgSettingsSave(c *fiber.Ctx) error {
	o := orgOf(c)
	v := orgSettingsView{Name: strings.Clone(c.FormValue("name")), Description: strings.Clone(c.FormValue("description")),
		LogoURL: strings.Clone(c.FormValue("logo_url"))}
	_, err := h.d.Tenancy.UpdateOrg(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID,
		tenancy.OrgInput{Name: &v.Name, Description: &v.Description, LogoURL: &v.LogoURL}, requestSource(c))
	if fault.Is(err, fault.Invalid) {
		v.Errors = orgFieldErrors(err, map[string]string{"name": "org.settings.error.name",
			"description": "org.settings.error.description", "logo_url": "org.settings.error.logo_url"})
		return h.showSettings(c, v, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.orgFail(c, o.Base+"/settings", err)
	}
	return h.redirectFlash(c, o.Base+"/settings", "success", "org.settings.saved")
}

// orgDelete is POST /orgs/:slug/delete (confirm_slug): the owner types
// the slug to confirm; the core deletes the organization with everything
// that goes with it.
func (h *handlers) orgDelete(c *fiber.Ctx) error {
	o := orgOf(c)
	if strings.TrimSpace(c.FormValue("confirm_slug")) != o.Org.Slug {
		return h.showSettings(c, orgSettingsView{Name: o.Org.Name, Description: o.Org.Description, LogoURL: o.Org.LogoURL,
			DeleteError: "org.settings.error.confirm_slug"}, fiber.StatusUnprocessableEntity)
	}
	err := h.d.Tenancy.DeleteOrg(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), o.Org.ID, true, requestSource(c))
	if err != nil {
		return h.orgFail(c, o.Base+"/settings", err)
	}
	return h.redirectFlash(c, "/account", "success", "org.settings.deleted", o.Org.Name)
}
