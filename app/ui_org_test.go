package app_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/ports/porttest/testenv"
)

// orgUIClient is a browser signed in as the REST session token's user:
// the token goes into the SSO cookie, as a hosted sign-in would put it.
func orgUIClient(t *testing.T, s *server, token string) *uiClient {
	t.Helper()
	u := newUIClient(t, s)
	base, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	u.hc.Jar.SetCookies(base, []*http.Cookie{{Name: "secuird_session", Value: token, Path: "/"}})
	return u
}

// orgTeam is an organization with an owner, an admin and a member, and a
// second organization (another tenant) with its own owner.
type orgTeam struct {
	s                     *server
	owner, admin, member  authData
	id, slug              string
	otherOwner            authData
	otherID, otherSlug    string
	ownerUI, adminUI, mUI *uiClient
}

// newOrgTeam starts a server on the named storage backend (see backends;
// nil is the embedded one) and sets the team up through the REST API.
func newOrgTeam(t *testing.T, name string, backend func(*app.Config)) *orgTeam {
	t.Helper()
	if name != "embedded" && name != "" {
		testenv.PostgresURL(t)
		testenv.RedisURL(t)
	}
	if backend == nil {
		backend = func(*app.Config) {}
	}
	s, _ := orgServer(t, backend)
	o := &orgTeam{s: s}
	o.owner = s.verifiedUser(t, uniq("owner")+"@example.com")
	o.admin = s.verifiedUser(t, uniq("admin")+"@example.com")
	o.member = s.verifiedUser(t, uniq("member")+"@example.com")
	o.slug, o.otherSlug = uniq("acme"), uniq("rival")
	o.id = s.newOrg(t, o.owner.Token, o.slug)
	s.joinOrg(t, o.owner.Token, o.id, o.admin, "admin")
	s.joinOrg(t, o.owner.Token, o.id, o.member, "member")
	o.otherOwner = s.verifiedUser(t, uniq("rival")+"@example.com")
	o.otherID = s.newOrg(t, o.otherOwner.Token, o.otherSlug)
	o.ownerUI, o.adminUI, o.mUI = orgUIClient(t, s, o.owner.Token), orgUIClient(t, s, o.admin.Token), orgUIClient(t, s, o.member.Token)
	return o
}

// base is the organization's page prefix.
func (o *orgTeam) base() string { return "/orgs/" + o.slug }

// want fails unless p has the status.
func (p page) want(t *testing.T, status int) page {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d:\n%s", p.url, p.status, status, p.body)
	}
	return p
}

// restRole returns userID's role in orgID as the REST API reports it.
func (o *orgTeam) restRole(t *testing.T, orgID, userID string) string {
	t.Helper()
	r := o.s.call(t, "GET", "/api/v1/organizations/"+orgID+"/members?per_page=100", o.owner.Token, nil)
	expect(t, r, 200, "")
	var d struct {
		Members []struct {
			UserID string `json:"user_id"`
			Role   string `json:"role"`
			User   struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"members"`
	}
	r.data(t, &d)
	for _, m := range d.Members {
		if m.UserID == userID || m.User.ID == userID {
			return m.Role
		}
	}
	return ""
}

func TestOrgPagesRenderForAdmins(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			o := newOrgTeam(t, name, backend)
			pages := map[string][]string{
				"":             {"Org " + o.slug, `data-test="member-count">3<`, `data-test="my-role">Admin<`, "Optional"},
				"/members":     {o.member.User.Email, o.owner.User.Email, `data-test="members"`},
				"/invites":     {`data-test="invite-form"`, `name="email"`},
				"/clients":     {`data-test="new-client"`},
				"/clients/new": {`data-test="client-form"`, `name="redirect_uris"`},
				"/api-keys":    {`data-test="key-form"`},
				"/mfa":         {`data-test="policy-form"`, `data-test="status-filter"`, "require_totp_or_webauthn"},
				"/audit":       {`data-test="audit-filter"`, `data-test="export-csv"`, "org.create"},
				"/settings":    {`data-test="settings-form"`},
			}
			for path, want := range pages {
				p := o.adminUI.get(o.base()+path).want(t, 200)
				p.mustContain(t, want...)
				p.mustContain(t, `href="`+o.base()+`/members"`, `aria-current="page"`)
			}
			// Only the owner gets the delete form.
			o.adminUI.get(o.base()+"/settings").mustNotContain(t, `data-test="delete-org"`)
			o.ownerUI.get(o.base()+"/settings").want(t, 200).mustContain(t, `data-test="delete-org"`)
			// German is complete.
			o.adminUI.lang = "de"
			o.adminUI.get(o.base()+"/members").want(t, 200).mustContain(t, "Mitglieder", "Rolle ändern", `lang="de"`)
			o.adminUI.get(o.base()+"/mfa").want(t, 200).mustContain(t, "Übergangsfrist")
		})
	}
}

func TestOrgMembersSeeOnlyTheOverview(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	p := o.mUI.get(o.base()).want(t, 200)
	p.mustContain(t, `data-test="my-role">Member<`, `data-test="read-only"`)
	p.mustNotContain(t, `href="`+o.base()+`/members"`, `href="`+o.base()+`/settings"`)
	for _, path := range []string{"/members", "/invites", "/clients", "/clients/new", "/api-keys", "/mfa", "/audit", "/settings", "/audit/export?format=csv"} {
		o.mUI.get(o.base()+path).want(t, 403).mustContain(t, "You do not have access to this page.")
	}
	// A member's POST is refused before anything happens.
	o.mUI.get(o.base())
	o.mUI.post(o.base()+"/invites", url.Values{"email": {"x@example.com"}}).want(t, 403)
	o.mUI.post(o.base()+"/settings", url.Values{"name": {"Pwned"}}).want(t, 403)
	r := o.s.call(t, "GET", "/api/v1/organizations/"+o.id, o.owner.Token, nil)
	if strings.Contains(string(r.raw), "Pwned") {
		t.Fatal("a member renamed the organization")
	}
	// A guest reads the overview only, without the MFA policy (the core
	// keeps that from guests).
	guest := o.s.verifiedUser(t, uniq("guest")+"@example.com")
	o.s.joinOrg(t, o.owner.Token, o.id, guest, "guest")
	gui := orgUIClient(t, o.s, guest.Token)
	p = gui.get(o.base()).want(t, 200)
	p.mustContain(t, `data-test="my-role">Guest<`, `data-test="read-only"`)
	p.mustNotContain(t, `data-test="mfa-mode"`)
	gui.get(o.base()+"/members").want(t, 403)
	// Not signed in: the sign-in page, with the way back.
	anon := newUIClient(t, o.s)
	if p := anon.getNoFollow(o.base() + "/members"); p.status != 303 || !strings.HasPrefix(p.location, "/login?next=") {
		t.Fatalf("anonymous: %d %s", p.status, p.location)
	}
}

// orgRoutes are every page and action of the organization section
// (":id" and ":user" are filled with objects of the organization).
var orgRoutes = []struct{ method, path string }{
	{"GET", ""}, {"GET", "/members"}, {"POST", "/members/:user/role"}, {"POST", "/members/:user/remove"},
	{"POST", "/members/:user/transfer"}, {"POST", "/members/:user/remind"},
	{"GET", "/invites"}, {"POST", "/invites"}, {"POST", "/invites/:invite/cancel"},
	{"GET", "/clients"}, {"GET", "/clients/new"}, {"POST", "/clients"}, {"GET", "/clients/:client"}, {"POST", "/clients/:client"},
	{"POST", "/clients/:client/rotate"}, {"POST", "/clients/:client/disable"}, {"POST", "/clients/:client/enable"},
	{"POST", "/clients/:client/delete"},
	{"GET", "/api-keys"}, {"POST", "/api-keys"}, {"POST", "/api-keys/:key/revoke"},
	{"GET", "/mfa"}, {"POST", "/mfa"}, {"GET", "/mfa/users/:user"}, {"POST", "/mfa/users/:user"},
	{"GET", "/audit"}, {"GET", "/audit/export?format=csv"}, {"GET", "/audit/export?format=jsonl"},
	{"GET", "/settings"}, {"POST", "/settings"}, {"POST", "/delete"},
}

// An org admin cannot see another organization's pages: every page and
// every action of organization B answers an admin of A with the same
// not-found page as a slug that does not exist, and changes nothing.
func TestOrgAdminCannotSeeAnotherOrgsPages(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			o := newOrgTeam(t, name, backend)
			s := o.s
			// Organization B gets one of everything.
			var cl struct {
				Client struct {
					ClientID string `json:"client_id"`
				} `json:"client"`
			}
			r := s.call(t, "POST", "/api/v1/organizations/"+o.otherID+"/clients", o.otherOwner.Token,
				map[string]any{"name": "Rival app", "redirect_uris": []string{"https://rival.example/cb"}})
			expect(t, r, 201, "")
			r.data(t, &cl)
			var key struct {
				APIKey struct {
					ID string `json:"id"`
				} `json:"api_key"`
			}
			r = s.call(t, "POST", "/api/v1/organizations/"+o.otherID+"/api-keys", o.otherOwner.Token, map[string]any{"name": "rival-ci"})
			expect(t, r, 201, "")
			r.data(t, &key)
			var inv struct {
				Invite struct {
					ID string `json:"id"`
				} `json:"invite"`
			}
			r = s.call(t, "POST", "/api/v1/organizations/"+o.otherID+"/invites", o.otherOwner.Token, map[string]any{"email": uniq("x") + "@example.com"})
			expect(t, r, 201, "")
			r.data(t, &inv)
			before := orgState(t, s, o.otherID)

			fill := func(path string) string {
				return strings.NewReplacer(":user", o.otherOwner.User.ID, ":client", cl.Client.ClientID, ":key", key.APIKey.ID,
					":invite", inv.Invite.ID).Replace(path)
			}
			notFound := o.ownerUI.get("/orgs/"+uniq("nope")).want(t, 404)
			forms := url.Values{"confirm": {"yes"}, "role": {"member"}, "name": {"Pwned"}, "email": {"y@example.com"},
				"redirect_uris": {"https://evil.example/cb"}, "mfa_policy_mode": {"disabled"}, "mfa_grace_period_days": {"1"},
				"notify_days_before": {"1"}, "mfa_override_mode": {"exempt"}, "confirm_slug": {o.otherSlug}}
			for _, who := range []struct {
				name string
				ui   *uiClient
			}{{"owner of A", o.ownerUI}, {"admin of A", o.adminUI}, {"member of A", o.mUI}} {
				for _, rt := range orgRoutes {
					path := "/orgs/" + o.otherSlug + fill(rt.path)
					var p page
					if rt.method == "GET" {
						p = who.ui.get(path)
					} else {
						who.ui.get(o.base()) // a valid CSRF token of the user's own pages
						form := url.Values{}
						for k, v := range forms {
							form[k] = v
						}
						p = who.ui.post(path, form)
					}
					if p.status != 404 || !strings.Contains(p.body, "There is no page here") || p.title() != notFound.title() {
						t.Errorf("%s: %s %s = %d, want the not-found page", who.name, rt.method, path, p.status)
					}
					p.mustNotContain(t, "Org "+o.otherSlug, "Rival app", "rival-ci", o.otherOwner.User.Email)
				}
			}
			// B's objects under A's own slug are not found either.
			for _, rt := range orgRoutes {
				if !strings.Contains(rt.path, ":") {
					continue
				}
				path := o.base() + fill(rt.path)
				var p page
				if rt.method == "GET" {
					p = o.ownerUI.get(path)
				} else {
					o.ownerUI.get(o.base())
					form := url.Values{"confirm": {"yes"}, "role": {"member"}, "name": {"Pwned"}, "redirect_uris": {"https://evil.example/cb"},
						"mfa_override_mode": {"exempt"}}
					p = o.ownerUI.post(path, form)
				}
				if p.status != 404 {
					t.Errorf("A's slug with B's object: %s %s = %d, want 404", rt.method, path, p.status)
				}
			}
			if after := orgState(t, s, o.otherID); after != before {
				t.Fatalf("organization B changed:\nbefore %s\nafter  %s", before, after)
			}
			expect(t, s.call(t, "GET", "/api/v1/organizations/"+o.otherID+"/clients/"+cl.Client.ClientID, o.otherOwner.Token, nil), 200, "")
		})
	}
}

var flashText = regexp.MustCompile(`data-test="flash">([^<]*)<`)

// flash returns the page's flash message.
func (p page) flash() string {
	if m := flashText.FindStringSubmatch(p.body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

func TestOrgInvitesPage(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	ui := o.adminUI
	ui.get(o.base() + "/invites")

	// Bad input: the form again with the message at the field, nothing sent.
	p := ui.post(o.base()+"/invites", url.Values{"email": {"not-an-email"}, "role": {"member"}}).want(t, 422)
	p.mustContain(t, `aria-invalid="true" aria-describedby="invite-email-error"`, "Enter a valid email address.", `value="not-an-email"`)
	p = ui.post(o.base()+"/invites", url.Values{"email": {o.member.User.Email}, "role": {"member"}}).want(t, 422)
	p.mustContain(t, "This person is already a member.")
	// An admin cannot invite an owner (the core's cap), and is not offered it.
	ui.get(o.base()+"/invites").mustNotContain(t, `<option value="owner"`)
	p = ui.post(o.base()+"/invites", url.Values{"email": {uniq("boss") + "@example.com"}, "role": {"owner"}}).want(t, 422)
	p.mustContain(t, "Only an owner can do this")

	guest := uniq("guest") + "@example.com"
	p = ui.post(o.base()+"/invites", url.Values{"email": {guest}, "role": {"guest"}}).want(t, 200)
	if !strings.Contains(p.flash(), "An invitation was sent to "+guest) || !strings.HasSuffix(p.url, o.base()+"/invites") {
		t.Fatalf("after invite: %q at %s", p.flash(), p.url)
	}
	tok := o.s.linkToken(t, guest, message.OrgInvite)
	p.mustContain(t, guest, `data-test="invite-row"`)
	p.mustNotContain(t, tok)
	r := o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/invites", o.owner.Token, nil)
	var d struct {
		Invites []struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		} `json:"invites"`
	}
	r.data(t, &d)
	if len(d.Invites) != 1 || d.Invites[0].Email != guest {
		t.Fatalf("invites: %s", r.env.Data)
	}

	// Cancel asks first, then cancels.
	p = ui.post(o.base()+"/invites/"+d.Invites[0].ID+"/cancel", url.Values{"label": {guest}}).want(t, 200)
	p.mustContain(t, `data-test="confirm"`, "Cancel the invitation for "+guest)
	r = o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/invites", o.owner.Token, nil)
	if !strings.Contains(string(r.raw), d.Invites[0].ID) {
		t.Fatal("the invitation was cancelled without confirmation")
	}
	p = ui.post(o.base()+"/invites/"+d.Invites[0].ID+"/cancel", url.Values{"confirm": {"yes"}}).want(t, 200)
	if p.flash() != "The invitation was cancelled." {
		t.Fatalf("cancel flash %q", p.flash())
	}
	p.mustContain(t, `data-test="no-invites"`)
	expect(t, o.s.call(t, "GET", "/api/v1/invites/"+tok, "", nil), 404, "NOT_FOUND")
}

func TestOrgMembersPage(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	ui := o.adminUI
	ui.get(o.base()+"/members").mustNotContain(t, `<option value="owner"`)

	// The admin promotes the member; demoting the owner is refused.
	p := ui.post(o.base()+"/members/"+o.member.User.ID+"/role", url.Values{"role": {"admin"}}).want(t, 200)
	if p.flash() != "The role was changed." || o.restRole(t, o.id, o.member.User.ID) != "admin" {
		t.Fatalf("promote: %q, role %s", p.flash(), o.restRole(t, o.id, o.member.User.ID))
	}
	p = ui.post(o.base()+"/members/"+o.owner.User.ID+"/role", url.Values{"role": {"member"}}).want(t, 200)
	if !strings.Contains(p.flash(), "Only an owner can do this") || o.restRole(t, o.id, o.owner.User.ID) != "owner" {
		t.Fatalf("demote owner: %q, role %s", p.flash(), o.restRole(t, o.id, o.owner.User.ID))
	}
	p = ui.post(o.base()+"/members/"+o.member.User.ID+"/role", url.Values{"role": {"owner"}}).want(t, 200)
	if !strings.Contains(p.flash(), "Only an owner can do this") || o.restRole(t, o.id, o.member.User.ID) != "admin" {
		t.Fatalf("grant owner as admin: %q", p.flash())
	}
	// Only the owner sees the transfer button; an admin's transfer is refused.
	ui.get(o.base()+"/members").mustNotContain(t, `data-test="transfer"`)
	ui.post(o.base()+"/members/"+o.member.User.ID+"/transfer", url.Values{"confirm": {"yes"}}).want(t, 200)
	if o.restRole(t, o.id, o.member.User.ID) != "admin" {
		t.Fatal("an admin transferred ownership")
	}

	// Removing asks first.
	p = ui.post(o.base()+"/members/"+o.member.User.ID+"/remove", url.Values{"label": {o.member.User.Email}}).want(t, 200)
	p.mustContain(t, `data-test="confirm"`, o.member.User.Email)
	if o.restRole(t, o.id, o.member.User.ID) != "admin" {
		t.Fatal("removed without confirmation")
	}
	p = ui.post(o.base()+"/members/"+o.member.User.ID+"/remove", url.Values{"confirm": {"yes"}}).want(t, 200)
	if p.flash() != "The member was removed." || o.restRole(t, o.id, o.member.User.ID) != "" {
		t.Fatalf("remove: %q", p.flash())
	}
	// The admin cannot remove the owner.
	p = ui.post(o.base()+"/members/"+o.owner.User.ID+"/remove", url.Values{"confirm": {"yes"}}).want(t, 200)
	if !strings.Contains(p.flash(), "Only an owner can do this") || o.restRole(t, o.id, o.owner.User.ID) != "owner" {
		t.Fatalf("remove owner: %q", p.flash())
	}

	// The owner transfers ownership to the admin (with confirmation).
	own := o.ownerUI
	own.get(o.base()+"/members").mustContain(t, `data-test="transfer"`, `<option value="owner"`)
	own.post(o.base()+"/members/"+o.admin.User.ID+"/transfer", url.Values{"label": {o.admin.User.Email}}).want(t, 200).
		mustContain(t, "Transfer ownership of Org "+o.slug)
	p = own.post(o.base()+"/members/"+o.admin.User.ID+"/transfer", url.Values{"confirm": {"yes"}}).want(t, 200)
	if o.restRole(t, o.id, o.admin.User.ID) != "owner" || o.restRole(t, o.id, o.owner.User.ID) != "admin" {
		t.Fatalf("transfer: %q", p.flash())
	}
}

// secretOf returns the secret shown on a secret page.
var secretValue = regexp.MustCompile(`data-test="secret">([^<]+)<`)

func secretOf(t *testing.T, p page) string {
	t.Helper()
	m := secretValue.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no secret on %s:\n%s", p.url, p.body)
	}
	return m[1]
}

func TestOrgClientsPages(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			o := newOrgTeam(t, name, backend)
			ui := o.adminUI
			ui.get(o.base() + "/clients/new")

			// Field errors at the fields; nothing created.
			bad := url.Values{"name": {"Portal"}, "token_endpoint_auth_method": {"client_secret_basic"}, "redirect_uris": {"ftp://nope"},
				"grant_types": {"authorization_code"}, "scopes": {"openid"}, "access_token_format": {"jwt"}, "consent_mode": {"explicit"},
				"require_pkce": {"on"}}
			p := ui.post(o.base()+"/clients", bad).want(t, 422)
			p.mustContain(t, `aria-describedby="c-redirects-hint c-redirects-error"`, "Enter at least one valid redirect URI", `value="Portal"`)
			bad.Set("redirect_uris", "https://portal.example/cb")
			bad.Set("logo_uri", "http://insecure.example/logo.png")
			p = ui.post(o.base()+"/clients", bad).want(t, 422)
			p.mustContain(t, `aria-describedby="c-logo-error"`, "Enter an https URL.")
			r := o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/clients", o.owner.Token, nil)
			if !strings.Contains(string(r.raw), `"count":0`) {
				t.Fatalf("a client was created from a bad form: %s", r.raw)
			}

			good := url.Values{"name": {"Portal"}, "token_endpoint_auth_method": {"client_secret_basic"},
				"redirect_uris": {"https://portal.example/cb\nhttps://portal.example/cb2"}, "post_logout_redirect_uris": {"https://portal.example/bye"},
				"grant_types": {"authorization_code", "refresh_token"}, "scopes": {"openid profile email"}, "access_token_format": {"opaque"},
				"consent_mode": {"explicit"}, "require_pkce": {"on"}, "logo_uri": {"https://portal.example/logo.png"}}
			p = ui.post(o.base()+"/clients", good).want(t, 200)
			secret := secretOf(t, p)
			p.mustContain(t, `data-copy="secret-value"`, "/static/js/ui.js", "shown only this once")
			idm := regexp.MustCompile(`data-test="secret-id">([0-9a-f]+)<`).FindStringSubmatch(p.body)
			if idm == nil {
				t.Fatalf("no client id: %s", p.body)
			}
			clientID := idm[1]
			if strings.Contains(p.url, secret) {
				t.Fatal("the secret is in the URL")
			}
			// The secret works, once shown.
			if code, _, _ := postForm(t, o.s.url+"/oidc/token", clientID, secret, url.Values{"grant_type": {"client_credentials"}}); code == 401 {
				t.Fatalf("the shown secret does not authenticate the client")
			}
			// A second view does not show it.
			p = ui.get(o.base()+"/clients/"+clientID).want(t, 200)
			p.mustNotContain(t, secret, `data-test="secret"`)
			p.mustContain(t, `data-test="client-id">`+clientID, "https://portal.example/cb\nhttps://portal.example/cb2", `value="opaque" selected`)
			ui.get(o.base()+"/clients").mustNotContain(t, secret)

			// Edit.
			edit := url.Values{}
			for k, v := range good {
				edit[k] = v
			}
			edit.Set("name", "Portal 2")
			edit.Del("require_pkce")
			edit.Set("access_token_ttl", "15")
			edit.Set("id_token_ttl", "60")
			edit.Set("refresh_token_ttl", "7")
			edit.Set("refresh_idle_ttl", "7")
			bad = url.Values{}
			for k, v := range edit {
				bad[k] = v
			}
			bad.Set("access_token_ttl", "soon")
			ui.post(o.base()+"/clients/"+clientID, bad).want(t, 422).mustContain(t, "Enter a whole number of minutes", `aria-describedby="c-access-ttl-error"`)
			bad.Set("access_token_ttl", "5000")
			ui.post(o.base()+"/clients/"+clientID, bad).want(t, 422).mustContain(t, "Enter a whole number of minutes", `value="5000"`)
			p = ui.post(o.base()+"/clients/"+clientID, edit).want(t, 200)
			if p.flash() != "The application was saved." {
				t.Fatalf("save: %q", p.flash())
			}
			r = o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/clients/"+clientID, o.owner.Token, nil)
			if !strings.Contains(string(r.raw), `"name":"Portal 2"`) || !strings.Contains(string(r.raw), `"require_pkce":false`) ||
				!strings.Contains(string(r.raw), `"access_token_lifetime":900`) || !strings.Contains(string(r.raw), `"refresh_token_lifetime":604800`) {
				t.Fatalf("after edit: %s", r.raw)
			}
			edit.Set("redirect_uris", "")
			ui.post(o.base()+"/clients/"+clientID, edit).want(t, 422).mustContain(t, "Enter at least one valid redirect URI")

			// Rotate: confirmation, then a new secret, shown once.
			ui.post(o.base()+"/clients/"+clientID+"/rotate", url.Values{"label": {"Portal 2"}}).want(t, 200).
				mustContain(t, `data-test="confirm"`, "Make a new secret for Portal 2")
			p = ui.post(o.base()+"/clients/"+clientID+"/rotate", url.Values{"confirm": {"yes"}}).want(t, 200)
			if fresh := secretOf(t, p); fresh == secret {
				t.Fatal("rotation kept the secret")
			}
			if code, _, _ := postForm(t, o.s.url+"/oidc/token", clientID, secret, url.Values{"grant_type": {"client_credentials"}}); code != 401 {
				t.Fatalf("the old secret still authenticates: %d", code)
			}

			// Disable (confirmed), enable.
			ui.post(o.base()+"/clients/"+clientID+"/disable", nil).want(t, 200).mustContain(t, `data-test="confirm"`)
			p = ui.post(o.base()+"/clients/"+clientID+"/disable", url.Values{"confirm": {"yes"}}).want(t, 200)
			p.mustContain(t, `data-test="client-status">Disabled`)
			r = o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/clients/"+clientID, o.owner.Token, nil)
			if !strings.Contains(string(r.raw), `"is_active":false`) {
				t.Fatalf("after disable: %s", r.raw)
			}
			p = ui.post(o.base()+"/clients/"+clientID+"/enable", nil).want(t, 200)
			p.mustContain(t, `data-test="client-status">Active`)

			// Delete (confirmed).
			p = ui.post(o.base()+"/clients/"+clientID+"/delete", url.Values{"confirm": {"yes"}}).want(t, 200)
			if p.flash() != "The application was deleted." {
				t.Fatalf("delete: %q", p.flash())
			}
			ui.get(o.base()+"/clients/"+clientID).want(t, 404)

			// A public client has no secret to show.
			pub := url.Values{"name": {"SPA"}, "token_endpoint_auth_method": {"none"}, "redirect_uris": {"https://spa.example/cb"},
				"grant_types": {"authorization_code"}, "scopes": {"openid"}, "access_token_format": {"jwt"}, "consent_mode": {"explicit"},
				"require_pkce": {"on"}}
			p = ui.post(o.base()+"/clients", pub).want(t, 200)
			p.mustNotContain(t, `data-test="secret"`)
			p.mustContain(t, `data-test="client-form"`, "The application was created.")
		})
	}
}

func TestOrgAPIKeysPage(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	ui := o.adminUI
	ui.get(o.base() + "/api-keys")
	ui.post(o.base()+"/api-keys", url.Values{"name": {""}}).want(t, 422).mustContain(t, "Enter a name of at most 255 characters.", `aria-invalid="true"`)

	p := ui.post(o.base()+"/api-keys", url.Values{"name": {"ci"}, "description": {"deploys"}}).want(t, 200)
	key := secretOf(t, p)
	if !strings.HasPrefix(key, "sk_secuird_") {
		t.Fatalf("key %q", key)
	}
	expect(t, o.s.call(t, "GET", "/api/v1/organizations/"+o.id, key, nil), 200, "")
	p = ui.get(o.base()+"/api-keys").want(t, 200)
	p.mustNotContain(t, key)
	p.mustContain(t, key[:17], "deploys")
	var keyID string
	if m := regexp.MustCompile(`/api-keys/([0-9a-f-]{36})/revoke`).FindStringSubmatch(p.body); m != nil {
		keyID = m[1]
	} else {
		t.Fatalf("no revoke form: %s", p.body)
	}
	ui.post(o.base()+"/api-keys/"+keyID+"/revoke", url.Values{"label": {"ci"}}).want(t, 200).mustContain(t, "Revoke the API key ci?")
	expect(t, o.s.call(t, "GET", "/api/v1/organizations/"+o.id, key, nil), 200, "")
	p = ui.post(o.base()+"/api-keys/"+keyID+"/revoke", url.Values{"confirm": {"yes"}}).want(t, 200)
	if p.flash() != "The API key was revoked." {
		t.Fatalf("revoke: %q", p.flash())
	}
	expect(t, o.s.call(t, "GET", "/api/v1/organizations/"+o.id, key, nil), 401, "INVALID_TOKEN")
	p = ui.post(o.base()+"/api-keys/"+keyID+"/revoke", url.Values{"confirm": {"yes"}}).want(t, 200)
	if p.flash() != "This API key was already revoked." {
		t.Fatalf("revoke again: %q", p.flash())
	}
}

// complianceOf returns userID's compliance status in orgID from the REST API.
func (o *orgTeam) complianceOf(t *testing.T, userID string) string {
	t.Helper()
	r := o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/mfa-compliance?page_size=100", o.owner.Token, nil)
	expect(t, r, 200, "")
	var d struct {
		Compliance []struct {
			UserID string `json:"user_id"`
			Status string `json:"status"`
		} `json:"compliance"`
	}
	r.data(t, &d)
	for _, c := range d.Compliance {
		if c.UserID == userID {
			return c.Status
		}
	}
	return ""
}

func TestOrgMFAPolicyPage(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			o := newOrgTeam(t, name, backend)
			ui := o.adminUI
			ui.get(o.base() + "/mfa")

			// Out of range: the form again, the policy unchanged.
			p := ui.post(o.base()+"/mfa", url.Values{"mfa_policy_mode": {"require_totp"}, "mfa_grace_period_days": {"400"}, "notify_days_before": {"7"}}).want(t, 422)
			p.mustContain(t, "Enter a whole number of days from 0 to 365.", `value="400"`, `aria-describedby="grace-hint grace-error"`)
			ui.post(o.base()+"/mfa", url.Values{"mfa_policy_mode": {"require_totp"}, "mfa_grace_period_days": {"ten"}, "notify_days_before": {"7"}}).want(t, 422)
			r := o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/security-policy", o.owner.Token, nil)
			if !strings.Contains(string(r.raw), `"mfa_policy_mode":"optional"`) {
				t.Fatalf("policy changed by a refused form: %s", r.raw)
			}

			// A change re-evaluates every member (checked through the REST API).
			p = ui.post(o.base()+"/mfa", url.Values{"mfa_policy_mode": {"require_totp"}, "mfa_grace_period_days": {"10"}, "notify_days_before": {"3"}}).want(t, 200)
			if p.flash() != "The policy was saved and every member re-checked." {
				t.Fatalf("save: %q", p.flash())
			}
			if st := o.complianceOf(t, o.member.User.ID); st != "in_grace" {
				t.Fatalf("member after require_totp: %q", st)
			}
			p.mustContain(t, `value="require_totp" checked`, `data-status="in_grace"`, o.member.User.Email)
			// The members table shows each member's status (one query per page).
			ui.get(o.base()+"/members").mustContain(t, `<td data-test="member-mfa"><span class="badge badge-warn">In grace period</span>`)
			// The status filter.
			p = ui.get(o.base()+"/mfa?status=compliant").want(t, 200)
			p.mustNotContain(t, `data-status="in_grace"`)
			p.mustContain(t, `<option value="compliant" selected>`)

			// A reminder for a member in grace.
			p = ui.post(o.base()+"/members/"+o.member.User.ID+"/remind", url.Values{"back": {"mfa"}}).want(t, 200)
			if p.flash() != "A reminder email was sent." || !strings.HasSuffix(p.url, "/mfa") {
				t.Fatalf("remind: %q at %s", p.flash(), p.url)
			}

			// A per-member override: exempt makes nothing required.
			p = ui.get(o.base()+"/mfa/users/"+o.member.User.ID).want(t, 200)
			p.mustContain(t, `value="inherit" checked`, o.member.User.Email)
			p = ui.post(o.base()+"/mfa/users/"+o.member.User.ID, url.Values{"mfa_override_mode": {"exempt"}}).want(t, 200)
			if p.flash() != "The member's policy was saved and re-checked." {
				t.Fatalf("override: %q", p.flash())
			}
			if st := o.complianceOf(t, o.member.User.ID); st != "not_applicable" {
				t.Fatalf("member after exempt: %q", st)
			}
			ui.get(o.base()+"/mfa/users/"+o.member.User.ID).mustContain(t, `value="exempt" checked`)
			p = ui.post(o.base()+"/members/"+o.member.User.ID+"/remind", url.Values{"back": {"mfa"}}).want(t, 200)
			if p.flash() != "This member has nothing to set up." {
				t.Fatalf("remind exempt: %q", p.flash())
			}
			ui.post(o.base()+"/mfa/users/"+o.member.User.ID, url.Values{"mfa_override_mode": {"sometimes"}}).want(t, 200)
			if st := o.complianceOf(t, o.member.User.ID); st != "not_applicable" {
				t.Fatalf("a bad override changed the status: %q", st)
			}
		})
	}
}

func TestOrgAuditPage(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	ui := o.adminUI
	ui.get(o.base() + "/settings")
	ui.post(o.base()+"/settings", url.Values{"name": {"Renamed"}, "description": {"d"}, "logo_url": {""}}).want(t, 200)

	p := ui.get(o.base()+"/audit").want(t, 200)
	p.mustContain(t, `data-action="org.update"`, `data-action="invite.created"`)
	p = ui.get(o.base()+"/audit?action=org.update&actor="+o.admin.User.ID+"&success=true").want(t, 200)
	p.mustContain(t, `data-action="org.update"`, `value="`+o.admin.User.ID+`" selected`)
	p.mustNotContain(t, `data-action="invite.created"`)
	ui.get(o.base()+"/audit?action=org.update&actor="+o.member.User.ID).mustContain(t, `data-test="audit-empty"`)
	ui.get(o.base()+"/audit?since=yesterday").want(t, 422).mustContain(t, "Enter a date as YYYY-MM-DD.")
	ui.get(o.base()+"/audit?since=2026-02-02&until=2026-02-01").want(t, 422).mustContain(t, "must not be before")
	ui.get(o.base()+"/audit?since=2000-01-01&until=2000-01-02").want(t, 200).mustContain(t, `data-test="audit-empty"`)
	// Keyset paging: a page holds 50 entries; "older" continues after the
	// last one shown, without repeating it.
	for i := range 50 {
		expect(t, o.s.call(t, "PATCH", "/api/v1/organizations/"+o.id, o.owner.Token, map[string]any{"description": "v" + strconv.Itoa(i)}), 200, "")
	}
	p = ui.get(o.base()+"/audit?action=org.update").want(t, 200)
	first := strings.Count(p.body, `data-test="audit-row"`)
	next := regexp.MustCompile(`href="([^"]+)" rel="next" data-test="audit-next"`).FindStringSubmatch(p.body)
	if first != 50 || next == nil {
		t.Fatalf("first page: %d rows, next %v", first, next)
	}
	p = ui.get(html.UnescapeString(next[1])).want(t, 200)
	if n := strings.Count(p.body, `data-test="audit-row"`); n != 1 || strings.Contains(p.body, `data-test="audit-next"`) {
		t.Fatalf("second page: %d rows", n)
	}
	p.mustContain(t, "Newest entries", `value="org.update"`)

	// Exports with the browser's session, with the filter.
	res, err := ui.hc.Get(o.s.url + o.base() + "/audit/export?format=csv&action=org.update")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := readAll(t, res)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") || !strings.Contains(body, "org.update") ||
		strings.Contains(body, "invite.created") || !strings.HasPrefix(body, "id,created_at") {
		t.Fatalf("csv export: %d %v\n%s", res.StatusCode, res.Header, body)
	}
	res2, err := ui.hc.Get(o.s.url + o.base() + "/audit/export?format=jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	body = readAll(t, res2)
	if res2.StatusCode != 200 || res2.Header.Get("Content-Type") != "application/x-ndjson" || !strings.Contains(body, `"action":"org.create"`) {
		t.Fatalf("jsonl export: %d %v\n%s", res2.StatusCode, res2.Header, body)
	}
	p = ui.get(o.base()+"/audit/export?format=xml").want(t, 200)
	if !strings.HasSuffix(p.url, o.base()+"/audit") || p.flash() == "" {
		t.Fatalf("bad format: %s %q", p.url, p.flash())
	}
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var titleText = regexp.MustCompile(`<title>([^<]*)</title>`)

// title is the page's <title>.
func (p page) title() string {
	if m := titleText.FindStringSubmatch(p.body); m != nil {
		return m[1]
	}
	return ""
}

func TestOrgSettingsPage(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	ui := o.adminUI
	ui.get(o.base() + "/settings")
	p := ui.post(o.base()+"/settings", url.Values{"name": {""}, "description": {"x"}, "logo_url": {"javascript:alert(1)"}}).want(t, 422)
	p.mustContain(t, "Enter a name of at most 255 characters.", "Enter an http(s) URL")
	p = ui.post(o.base()+"/settings", url.Values{"name": {"Acme Ltd"}, "description": {"Makers"}, "logo_url": {"https://acme.example/l.png"}}).want(t, 200)
	if p.flash() != "The settings were saved." {
		t.Fatalf("save: %q", p.flash())
	}
	ui.get(o.base()).mustContain(t, "Acme Ltd", "Makers", `src="https://acme.example/l.png"`)

	// An admin cannot delete; the owner must type the slug.
	ui.post(o.base()+"/delete", url.Values{"confirm_slug": {o.slug}}).want(t, 200)
	expect(t, o.s.call(t, "GET", "/api/v1/organizations/"+o.id, o.owner.Token, nil), 200, "")
	own := o.ownerUI
	own.get(o.base() + "/settings")
	own.post(o.base()+"/delete", url.Values{"confirm_slug": {"wrong"}}).want(t, 422).mustContain(t, "Type the slug exactly as shown.")
	expect(t, o.s.call(t, "GET", "/api/v1/organizations/"+o.id, o.owner.Token, nil), 200, "")
	p = own.postNoFollow(o.base()+"/delete", url.Values{"confirm_slug": {o.slug}})
	if p.status != 303 {
		t.Fatalf("delete: %d", p.status)
	}
	expect(t, o.s.call(t, "GET", "/api/v1/organizations/"+o.id, o.owner.Token, nil), 404, "NOT_FOUND")
	own.get(o.base()).want(t, 404)
}

// A POST without a valid CSRF token is refused and changes nothing.
func TestOrgPagesRefuseForgedPosts(t *testing.T) {
	o := newOrgTeam(t, "", nil)
	ui := o.ownerUI
	ui.get(o.base() + "/settings")
	for name, tok := range map[string]string{"missing": "", "forged": "AAAA", "another session's": ""} {
		form := url.Values{"csrf_token": {tok}, "name": {"Forged"}}
		c := ui
		if name == "another session's" {
			o.adminUI.get(o.base() + "/settings")
			form.Set("csrf_token", o.adminUI.csrf)
		}
		c.post(o.base()+"/settings", form).want(t, 403).mustContain(t, "The form has expired.")
		c.post(o.base()+"/invites", url.Values{"csrf_token": {tok}, "email": {"forged@example.com"}}).want(t, 403)
		c.post(o.base()+"/delete", url.Values{"csrf_token": {tok}, "confirm_slug": {o.slug}}).want(t, 403)
	}
	r := o.s.call(t, "GET", "/api/v1/organizations/"+o.id, o.owner.Token, nil)
	expect(t, r, 200, "")
	if strings.Contains(string(r.raw), "Forged") {
		t.Fatal("a forged post renamed the organization")
	}
	r = o.s.call(t, "GET", "/api/v1/organizations/"+o.id+"/invites", o.owner.Token, nil)
	if strings.Contains(string(r.raw), "forged@example.com") {
		t.Fatal("a forged post sent an invitation")
	}
}
