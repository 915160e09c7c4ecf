package httpapi

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/secuird/core/auditlog"
	"github.com/secuird/secuird/core/fault"
	"github.com/secuird/secuird/core/oidc"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
)

// sessionRow is one signed-in device on the sessions page.
type sessionRow struct {
	ID string
	// Browser and OS are names from the user agent ("" when unknown).
	Browser, OS string
	IP          string
	Created     time.Time
	LastActive  time.Time
	Current     bool
}

// sessionsView is the sessions page.
type sessionsView struct {
	Sessions []sessionRow
	// Others counts the sessions besides the current one.
	Others int
}

// sessionsPage is GET /account/sessions.
func (h *handlers) sessionsPage(c *fiber.Ctx) error {
	all, err := h.d.Accounts.ListSessions(c.UserContext(), uiPrincipal(c))
	if err != nil {
		logger(c).Error("account page: sessions", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	var v sessionsView
	for _, s := range all {
		b, o := deviceSummary(s.UserAgent)
		v.Sessions = append(v.Sessions, sessionRow{ID: s.ID, Browser: b, OS: o, IP: s.IP, Created: s.CreatedAt, LastActive: s.LastSeenAt, Current: s.Current})
		if !s.Current {
			v.Others++
		}
	}
	return h.sendPage(c, fiber.StatusOK, pageAccountSessions, h.accountPage(c, "account.sessions.title", v))
}

// revokeSessionSubmit is POST /account/sessions/:id/revoke (confirmation;
// revoking the current session signs this browser out).
func (h *handlers) revokeSessionSubmit(c *fiber.Ctx) error {
	p := uiPrincipal(c)
	id := strings.Clone(c.Params("id"))
	if !formConfirmed(c) {
		v := confirmView{Reversible: true, Message: "account.sessions.revoke_confirm", Button: "account.sessions.revoke",
			Action: "/account/sessions/" + url.PathEscape(id) + "/revoke", Back: "/account/sessions"}
		if all, err := h.d.Accounts.ListSessions(c.UserContext(), p); err == nil {
			for _, s := range all {
				if s.ID == id && s.IP != "" {
					v.Message, v.Args = "account.sessions.revoke_confirm_from", []any{s.IP, s.LastSeenAt.UTC().Format(pageTimeLayout)}
				}
			}
		}
		return h.uiConfirm(c, SectionAccount, v)
	}
	if err := h.d.Accounts.RevokeSession(c.UserContext(), p, id, requestSource(c)); err != nil {
		return h.accountFail(c, "/account/sessions", "revoke session", err)
	}
	if id == p.Session.ID {
		h.clearSSOCookie(c)
		return h.redirectFlash(c, "/login", "success", "common.signed_out")
	}
	return h.redirectFlash(c, "/account/sessions", "success", "account.sessions.revoked")
}

// revokeOthersSubmit is POST /account/sessions/revoke-others: "sign out
// everywhere else" (confirmation); the current session stays.
func (h *handlers) revokeOthersSubmit(c *fiber.Ctx) error {
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionAccount, confirmView{Reversible: true, Message: "account.sessions.revoke_others_confirm", Button: "account.sessions.revoke_others",
			Action: "/account/sessions/revoke-others", Back: "/account/sessions"})
	}
	n, err := h.d.Accounts.RevokeOtherSessions(c.UserContext(), uiPrincipal(c), requestSource(c))
	if err != nil {
		return h.accountFail(c, "/account/sessions", "revoke other sessions", err)
	}
	return h.redirectFlash(c, "/account/sessions", "success", "account.sessions.revoked_others", itoa(n))
}

// deviceSummary names the browser and operating system of a user agent
// ("" when not recognised). Order matters: Edge and Opera also claim to
// be Chrome, Chrome claims to be Safari, Android claims to be Linux.
func deviceSummary(ua string) (browser, os string) {
	has := func(s string) bool { return strings.Contains(ua, s) }
	switch {
	case ua == "":
	case has("Edg/") || has("Edge/"):
		browser = "Edge"
	case has("OPR/") || has("Opera"):
		browser = "Opera"
	case has("SamsungBrowser/"):
		browser = "Samsung Internet"
	case has("Firefox/") || has("FxiOS/"):
		browser = "Firefox"
	case has("Chromium/"):
		browser = "Chromium"
	case has("Chrome/") || has("CriOS/"):
		browser = "Chrome"
	case has("Safari/") && (has("Version/") || has("Mobile/")):
		browser = "Safari"
	case has("curl/"):
		browser = "curl"
	}
	switch {
	case ua == "":
	case has("iPhone") || has("iPad") || has("iPod"):
		os = "iOS"
	case has("Android"):
		os = "Android"
	case has("CrOS"):
		os = "ChromeOS"
	case has("Windows"):
		os = "Windows"
	case has("Mac OS X") || has("Macintosh"):
		os = "macOS"
	case has("Linux") || has("X11"):
		os = "Linux"
	}
	return browser, os
}

// appRow is one connected app.
type appRow struct {
	ClientID, Name, LogoURI string
	Gone                    bool
	// Scopes are catalogue keys with their argument (org:<slug>).
	Scopes  []scopeText
	Granted time.Time
}

// scopeText is a scope in words: a catalogue key and its argument.
type scopeText struct {
	Key, Arg string
}

// appsView is the connected-apps page.
type appsView struct {
	Apps []appRow
}

// scopeWords describes a consented scope (account.scope.* keys).
func scopeWords(s string) scopeText {
	switch s {
	case oidc.ScopeProfile:
		return scopeText{Key: "account.scope.profile"}
	case oidc.ScopeEmail:
		return scopeText{Key: "account.scope.email"}
	case oidc.ScopeOfflineAccess:
		return scopeText{Key: "account.scope.offline_access"}
	case oidc.ScopeRoles:
		return scopeText{Key: "account.scope.roles"}
	}
	if slug, ok := strings.CutPrefix(s, oidc.ScopeOrgPrefix); ok {
		return scopeText{Key: "account.scope.org", Arg: slug}
	}
	return scopeText{Key: "account.scope.other", Arg: s}
}

// appsPage is GET /account/apps: the remembered consents with their
// clients (one query for the clients).
func (h *handlers) appsPage(c *fiber.Ctx) error {
	if h.d.OIDC == nil {
		return h.uiNotFound(c)
	}
	apps, err := h.d.OIDC.Provider.ConnectedApps(c.UserContext(), uiPrincipal(c).User.ID)
	if err != nil {
		logger(c).Error("account page: apps", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	var v appsView
	for _, a := range apps {
		row := appRow{ClientID: a.ClientID, Name: a.Name, LogoURI: httpsOnly(a.LogoURI), Gone: a.Gone, Granted: a.CreatedAt}
		for _, s := range a.Scopes {
			if s != oidc.ScopeOpenID {
				row.Scopes = append(row.Scopes, scopeWords(s))
			}
		}
		if len(row.Scopes) == 0 {
			row.Scopes = []scopeText{{Key: "account.scope.openid"}}
		}
		v.Apps = append(v.Apps, row)
	}
	return h.sendPage(c, fiber.StatusOK, pageAccountApps, h.accountPage(c, "account.apps.title", v))
}

// revokeAppSubmit is POST /account/apps/:client_id/revoke (confirmation):
// forgets the consent and revokes the app's refresh tokens.
func (h *handlers) revokeAppSubmit(c *fiber.Ctx) error {
	if h.d.OIDC == nil {
		return h.uiNotFound(c)
	}
	p := uiPrincipal(c)
	id := strings.Clone(c.Params("client_id"))
	if !formConfirmed(c) {
		name := id
		if apps, err := h.d.OIDC.Provider.ConnectedApps(c.UserContext(), p.User.ID); err == nil {
			for _, a := range apps {
				if a.ClientID == id {
					name = a.Name
				}
			}
		}
		return h.uiConfirm(c, SectionAccount, confirmView{Reversible: true, Message: "account.apps.revoke_confirm", Args: []any{name}, Button: "account.apps.revoke",
			Action: "/account/apps/" + url.PathEscape(id) + "/revoke", Back: "/account/apps"})
	}
	if err := h.d.OIDC.Provider.RevokeConsent(c.UserContext(), p.User.ID, id, requestSource(c)); err != nil {
		return h.accountFail(c, "/account/apps", "revoke consent", err)
	}
	return h.redirectFlash(c, "/account/apps", "success", "account.apps.revoked")
}

// orgRow is one of my organizations.
type orgRow struct {
	Name, Slug, Role string
	// Manage links to the organization's admin pages (owners and admins).
	Manage bool
	Joined time.Time
}

// inviteRow is an invitation waiting for my email.
type inviteRow struct {
	ID, OrgName, Inviter, Role string
	Expires                    time.Time
}

// orgsView is the organizations page.
type orgsView struct {
	Orgs    []orgRow
	Invites []inviteRow
	// Form is the create form's input; Errors its problems (keys).
	Name, Slug, Description string
	Errors                  map[string]string
	// Unverified explains why no invitations can be listed.
	Unverified bool
}

// orgsPage is GET /account/organizations.
func (h *handlers) orgsPage(c *fiber.Ctx) error {
	return h.renderOrgs(c, orgsView{}, fiber.StatusOK)
}

func (h *handlers) renderOrgs(c *fiber.Ctx, v orgsView, status int) error {
	if h.d.Tenancy == nil {
		return h.uiNotFound(c)
	}
	p := uiPrincipal(c)
	a := tenancy.UserActor(p.User)
	orgs, err := h.d.Tenancy.MyOrgs(c.UserContext(), a)
	if err != nil {
		logger(c).Error("account page: organizations", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	invites, err := h.d.Tenancy.MyInvites(c.UserContext(), a)
	if err != nil {
		logger(c).Error("account page: invites", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	for _, o := range orgs {
		r := o.Membership.Role
		v.Orgs = append(v.Orgs, orgRow{Name: o.Org.Name, Slug: o.Org.Slug, Role: string(r), Manage: r == org.Owner || r == org.Admin,
			Joined: o.Membership.JoinedAt})
	}
	for _, i := range invites {
		v.Invites = append(v.Invites, inviteRow{ID: i.ID, OrgName: i.OrgName, Inviter: i.InviterName, Role: string(i.Role), Expires: i.ExpiresAt})
	}
	v.Unverified = !p.User.EmailVerified
	return h.sendPage(c, status, pageAccountOrgs, h.accountPage(c, "account.orgs.title", v))
}

// createOrgSubmit is POST /account/organizations: a new organization with
// me as its owner, then its admin pages.
func (h *handlers) createOrgSubmit(c *fiber.Ctx) error {
	if h.d.Tenancy == nil {
		return h.uiNotFound(c)
	}
	p := uiPrincipal(c)
	name, slug, desc := strings.Clone(c.FormValue("name")), strings.Clone(c.FormValue("slug")), strings.Clone(c.FormValue("description"))
	d, err := h.d.Tenancy.CreateOrg(c.UserContext(), tenancy.UserActor(p.User), tenancy.OrgInput{Name: &name, Slug: &slug, Description: &desc}, requestSource(c))
	if fault.Is(err, fault.Invalid) || fault.Is(err, fault.Conflict) {
		return h.renderOrgs(c, orgsView{Name: name, Slug: slug, Description: desc, Errors: coreFieldKeys(err)}, fiber.StatusUnprocessableEntity)
	}
	if err != nil {
		return h.accountFail(c, "/account/organizations", "create organization", err)
	}
	return h.redirectFlash(c, "/orgs/"+url.PathEscape(d.Org.Slug), "success", "account.orgs.created", d.Org.Name)
}

// acceptInviteSubmit is POST /account/invites/:id/accept: joins as the
// signed-in user.
func (h *handlers) acceptInviteSubmit(c *fiber.Ctx) error {
	if h.d.Tenancy == nil {
		return h.uiNotFound(c)
	}
	acc, err := h.d.Tenancy.AcceptMyInvite(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), strings.Clone(c.Params("id")), requestSource(c))
	if err != nil {
		return h.accountFail(c, "/account/organizations", "accept invite", err)
	}
	return h.redirectFlash(c, "/account/organizations", "success", "account.orgs.joined", acc.Org.Name)
}

// declineInviteSubmit is POST /account/invites/:id/decline (confirmation).
func (h *handlers) declineInviteSubmit(c *fiber.Ctx) error {
	if h.d.Tenancy == nil {
		return h.uiNotFound(c)
	}
	id := strings.Clone(c.Params("id"))
	if !formConfirmed(c) {
		return h.uiConfirm(c, SectionOrgs, confirmView{Message: "account.orgs.decline_confirm", Button: "account.orgs.decline",
			Action: "/account/invites/" + url.PathEscape(id) + "/decline", Back: "/account/organizations"})
	}
	if err := h.d.Tenancy.DeclineMyInvite(c.UserContext(), tenancy.UserActor(uiPrincipal(c).User), id, requestSource(c)); err != nil {
		return h.accountFail(c, "/account/organizations", "decline invite", err)
	}
	return h.redirectFlash(c, "/account/organizations", "success", "account.orgs.declined")
}

// activityRow is one entry of my audit trail.
type activityRow struct {
	// ActionKey is the action in words (catalogue key), or "" to show the
	// action code Action.
	ActionKey, Action string
	At                time.Time
	IP                string
	Success           bool
}

// activityView is the activity page.
type activityView struct {
	Entries []activityRow
	// Next is the link to the following page ("" on the last one).
	Next string
}

// activityPage is GET /account/activity[?cursor=]: my audit trail, newest
// first, one keyset page at a time.
func (h *handlers) activityPage(c *fiber.Ctx) error {
	if h.d.Audit == nil {
		return h.uiNotFound(c)
	}
	pg, err := h.d.Audit.List(c.UserContext(), uiPrincipal(c).User, auditlog.Query{Scope: auditlog.Mine, Cursor: strings.Clone(c.Query("cursor")), Limit: 25})
	if fault.Is(err, fault.Invalid) {
		return h.redirectFlash(c, "/account/activity", "error", "account.activity.bad_cursor")
	}
	if err != nil {
		logger(c).Error("account page: activity", "error", err.Error())
		return h.uiError(c, fiber.StatusInternalServerError, "common.error.unavailable")
	}
	var v activityView
	for _, e := range pg.Entries {
		row := activityRow{Action: e.Action, At: e.At, IP: e.IP, Success: e.Success}
		if k := "account.action." + e.Action; hasKey(h.pages.cat, k) {
			row.ActionKey = k
		}
		v.Entries = append(v.Entries, row)
	}
	if pg.Next != "" {
		v.Next = "/account/activity?cursor=" + url.QueryEscape(pg.Next)
	}
	return h.sendPage(c, fiber.StatusOK, pageAccountActivity, h.accountPage(c, "account.activity.title", v))
}

// itoa formats a count for a catalogue argument.
func itoa(n int) string { return strconv.Itoa(n) }
