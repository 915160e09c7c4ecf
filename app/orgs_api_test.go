package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/audit"
	"github.com/secuird/secuird/core/message"
	"github.com/secuird/secuird/core/org"
	"github.com/secuird/secuird/core/tenancy"
	"github.com/secuird/secuird/ports"
)

// orgServer starts a node for the organization tests and registers its
// first account, which becomes the platform admin.
func orgServer(t *testing.T, backend func(*app.Config)) (*server, authData) {
	t.Helper()
	s := startServer(t, backend)
	root := s.register(t, "root-"+randomName()+"@example.com")
	if !root.IsFirstUser {
		t.Fatal("the first account is not reported as first")
	}
	return s, root
}

// verified registers an account and verifies its email through the link.
func (s *server) verifiedUser(t *testing.T, email string) authData {
	t.Helper()
	d := s.register(t, email)
	tok := s.linkToken(t, email, message.VerifyEmail)
	expect(t, s.call(t, "POST", "/api/v1/auth/verify-email", "", map[string]any{"token": tok}), 200, "")
	d.User.EmailVerified = true
	return d
}

// createOrg creates an organization as token's user and returns its ID.
func (s *server) newOrg(t *testing.T, token, slug string) string {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/organizations", token, map[string]any{"name": "Org " + slug, "slug": slug})
	expect(t, r, 201, "")
	var d struct {
		Organization struct {
			ID   string `json:"id"`
			Role string `json:"role"`
		} `json:"organization"`
	}
	r.data(t, &d)
	if d.Organization.ID == "" || d.Organization.Role != "owner" {
		t.Fatalf("create org: %s", r.env.Data)
	}
	return d.Organization.ID
}

// invite invites email to orgID as role and returns the token from the mail.
func (s *server) inviteTo(t *testing.T, token, orgID, email, role string) string {
	t.Helper()
	expect(t, s.call(t, "POST", "/api/v1/organizations/"+orgID+"/invites", token, map[string]any{"email": email, "role": role}), 201, "")
	return s.linkToken(t, email, message.OrgInvite)
}

// join invites a verified user and accepts with the user's session.
func (s *server) joinOrg(t *testing.T, ownerToken, orgID string, u authData, role string) {
	t.Helper()
	tok := s.inviteTo(t, ownerToken, orgID, u.User.Email, role)
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", u.Token, nil), 200, "")
}

// waitMail waits for a message with that template to arrive for to.
func (s *server) waitMail(t *testing.T, to, template string) message.Email {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := s.mail.Wait(ctx, to, template)
	if err != nil {
		t.Fatalf("no %s mail to %s: %v", template, to, err)
	}
	return m
}

func uniq(prefix string) string { return prefix + "-" + strings.TrimPrefix(randomName(), "t_") }

func TestOrganizationsAPI(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			s, root := orgServer(t, backend)
			t.Run("lifecycle", func(t *testing.T) { testOrgLifecycle(t, s) })
			t.Run("invites", func(t *testing.T) { testInvitesAPI(t, s) })
			t.Run("api keys", func(t *testing.T) { testAPIKeysAPI(t, s) })
			t.Run("admin users", func(t *testing.T) { testAdminUsersAPI(t, s, root) })
			t.Run("account deletion and org setup", func(t *testing.T) { testDeletionAndSetup(t, s) })
			t.Run("no secret in logs", func(t *testing.T) {
				if strings.Contains(s.logs.String(), org.APIKeyPrefix) || strings.Contains(s.logs.String(), "token=") {
					t.Fatal("a key or token reached the logs")
				}
			})
		})
	}
}

func testOrgLifecycle(t *testing.T, s *server) {
	alice := s.verifiedUser(t, uniq("alice")+"@example.com")
	slug := uniq("acme")
	for _, body := range []map[string]any{
		{"name": "X", "slug": uniq("x"), "role": "owner"},
		{"name": "X", "slug": uniq("x"), "org_id": "abc"},
		{"name": "X", "slug": uniq("x"), "is_platform_admin": true},
		{"name": "X", "slug": uniq("x"), "id": "chosen"},
	} {
		r := s.call(t, "POST", "/api/v1/organizations", alice.Token, body)
		expect(t, r, 400, "VALIDATION_ERROR")
	}
	expect(t, s.call(t, "POST", "/api/v1/organizations", alice.Token, map[string]any{"name": "X", "slug": "Bad Slug"}), 400, "VALIDATION_ERROR")
	id := s.newOrg(t, alice.Token, slug)
	r := s.call(t, "POST", "/api/v1/organizations", alice.Token, map[string]any{"name": "Again", "slug": slug})
	expect(t, r, 409, "CONFLICT")
	if _, ok := r.env.Error.Details["slug"]; !ok {
		t.Fatalf("conflict does not name the slug: %s", r.raw)
	}

	r = s.call(t, "GET", "/api/v1/organizations/"+id, alice.Token, nil)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), `"member_count":1`) || !strings.Contains(string(r.env.Data), `"slug":"`+slug+`"`) {
		t.Fatalf("get org: %s", r.env.Data)
	}
	r = s.call(t, "PATCH", "/api/v1/organizations/"+id, alice.Token, map[string]any{"description": "Rockets", "logo_url": "https://acme.example.com/l.png"})
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), `"description":"Rockets"`) {
		t.Fatalf("patch org: %s", r.env.Data)
	}
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+id, alice.Token, map[string]any{"slug": "other"}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+id, alice.Token, map[string]any{"is_active": false}), 400, "VALIDATION_ERROR")

	for _, path := range []string{"/api/v1/organizations", "/api/v1/users/me/organizations", "/api/v1/users/me/memberships"} {
		r = s.call(t, "GET", path, alice.Token, nil)
		expect(t, r, 200, "")
		if !strings.Contains(string(r.env.Data), id) || !strings.Contains(string(r.env.Data), `"role":"owner"`) {
			t.Fatalf("%s: %s", path, r.env.Data)
		}
	}
	r = s.call(t, "GET", "/api/v1/auth/me", alice.Token, nil)
	var me struct {
		Orgs []struct{ ID, Name, Slug, Role string } `json:"orgs"`
	}
	r.data(t, &me)
	if len(me.Orgs) != 1 || me.Orgs[0].ID != id || me.Orgs[0].Slug != slug || me.Orgs[0].Role != "owner" {
		t.Fatalf("/auth/me orgs: %s", r.env.Data)
	}

	bob := s.verifiedUser(t, uniq("bob")+"@example.com")
	s.joinOrg(t, alice.Token, id, bob, "member")
	r = s.call(t, "GET", "/api/v1/organizations/"+id+"/members?per_page=1&page=2", bob.Token, nil)
	expect(t, r, 200, "")
	var page struct {
		Members []struct {
			Role string `json:"role"`
			User struct {
				Email string `json:"email"`
			} `json:"user"`
		} `json:"members"`
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
		Pages   int `json:"pages"`
		Count   int `json:"count"`
	}
	if err := json.Unmarshal(r.env.Data, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Members) != 1 || page.Members[0].Role != "member" || page.Members[0].User.Email != bob.User.Email ||
		page.Page != 2 || page.PerPage != 1 || page.Pages != 2 || page.Count != 2 {
		t.Fatalf("members page: %s", r.env.Data)
	}
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id+"/members?page_size=x", bob.Token, nil), 400, "VALIDATION_ERROR")
	r = s.call(t, "GET", "/api/v1/organizations/"+id+"/roles", bob.Token, nil)
	expect(t, r, 200, "")

	r = s.call(t, "DELETE", "/api/v1/organizations/"+id, alice.Token, nil)
	expect(t, r, 400, "CONFIRMATION_REQUIRED")
	expect(t, s.call(t, "DELETE", "/api/v1/organizations/"+id, alice.Token, map[string]any{"confirm": true}), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id, alice.Token, nil), 404, "NOT_FOUND")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id, bob.Token, nil), 404, "NOT_FOUND")
	s.newOrg(t, bob.Token, slug)
}

func testInvitesAPI(t *testing.T, s *server) {
	alice := s.verifiedUser(t, uniq("alice")+"@example.com")
	id := s.newOrg(t, alice.Token, uniq("inv"))

	newcomer := uniq("new") + "@example.com"
	expect(t, s.call(t, "POST", "/api/v1/organizations/"+id+"/invites", alice.Token, map[string]any{"email": newcomer, "role": "superuser"}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/organizations/"+id+"/invites", alice.Token, map[string]any{"email": newcomer, "org_id": "x"}), 400, "VALIDATION_ERROR")
	tok := s.inviteTo(t, alice.Token, id, newcomer, "guest")
	if link := s.mustLink(t, newcomer, message.OrgInvite); !strings.HasPrefix(link, s.url+"/invite?token=") {
		t.Fatalf("invite link %q not under the public URL", link)
	}
	r := s.call(t, "GET", "/api/v1/organizations/"+id+"/invites", alice.Token, nil)
	expect(t, r, 200, "")
	if strings.Contains(string(r.raw), tok) || !strings.Contains(string(r.raw), newcomer) {
		t.Fatalf("invite listing: %s", r.raw)
	}
	r = s.call(t, "GET", "/api/v1/invites/"+tok, "", nil)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), `"user_exists":false`) || !strings.Contains(string(r.env.Data), `"role":"guest"`) {
		t.Fatalf("invite lookup: %s", r.env.Data)
	}
	expect(t, s.call(t, "GET", "/api/v1/invites/not-a-token", "", nil), 404, "NOT_FOUND")
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", "", map[string]any{"password": pw, "password_confirm": pw, "role": "owner"}), 400, "VALIDATION_ERROR")
	r = s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", "", map[string]any{"full_name": "New Comer", "password": pw, "password_confirm": pw})
	expect(t, r, 201, "")
	var acc struct {
		Token  string `json:"token"`
		Member struct {
			Role string `json:"role"`
		} `json:"member"`
		User struct {
			EmailVerified bool `json:"email_verified"`
		} `json:"user"`
	}
	r.data(t, &acc)
	if acc.Token == "" || acc.Member.Role != "guest" || !acc.User.EmailVerified {
		t.Fatalf("accept: %s", r.env.Data)
	}
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id, acc.Token, nil), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", "", map[string]any{"full_name": "Again", "password": pw, "password_confirm": pw}), 404, "NOT_FOUND")
	s.waitMail(t, alice.User.Email, message.InviteAccepted)

	// An existing account: the link alone does not sign in; another
	// account's session is refused; the right session accepts.
	bob := s.verifiedUser(t, uniq("bob")+"@example.com")
	carol := s.verifiedUser(t, uniq("carol")+"@example.com")
	tok = s.inviteTo(t, alice.Token, id, bob.User.Email, "member")
	r = s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", "", map[string]any{"full_name": "Bob", "password": pw, "password_confirm": pw})
	expect(t, r, 401, "AUTH_REQUIRED")
	if r.env.Error.Details["user_exists"] != true || strings.Contains(string(r.raw), `"token"`) {
		t.Fatalf("accept without a session: %s", r.raw)
	}
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", carol.Token, nil), 403, "EMAIL_MISMATCH")
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", bob.Token, nil), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", bob.Token, nil), 404, "NOT_FOUND")

	// Cancel, and an invite of an unverified account's email.
	r = s.call(t, "POST", "/api/v1/organizations/"+id+"/invites", alice.Token, map[string]any{"email": carol.User.Email})
	expect(t, r, 201, "")
	var inv struct {
		Invite struct {
			ID   string `json:"id"`
			Role string `json:"role"`
		} `json:"invite"`
	}
	r.data(t, &inv)
	if inv.Invite.Role != "member" {
		t.Fatalf("default role: %s", r.env.Data)
	}
	cancelled := s.linkToken(t, carol.User.Email, message.OrgInvite)
	r = s.call(t, "GET", "/api/v1/users/me/invites", carol.Token, nil)
	if !strings.Contains(string(r.env.Data), inv.Invite.ID) {
		t.Fatalf("my invites: %s", r.env.Data)
	}
	expect(t, s.call(t, "DELETE", "/api/v1/organizations/"+id+"/invites/"+inv.Invite.ID, alice.Token, nil), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/invites/"+cancelled+"/accept", carol.Token, nil), 404, "NOT_FOUND")
	unverified := s.register(t, uniq("unv")+"@example.com")
	tok = s.inviteTo(t, alice.Token, id, unverified.User.Email, "member")
	expect(t, s.call(t, "POST", "/api/v1/invites/"+tok+"/accept", unverified.Token, nil), 403, "EMAIL_MISMATCH")
	expect(t, s.call(t, "POST", "/api/v1/organizations/"+id+"/invites", alice.Token, map[string]any{"email": bob.User.Email}), 409, "CONFLICT")
}

func testAPIKeysAPI(t *testing.T, s *server) {
	alice := s.verifiedUser(t, uniq("alice")+"@example.com")
	id, other := s.newOrg(t, alice.Token, uniq("keys")), s.newOrg(t, alice.Token, uniq("keys2"))
	expect(t, s.call(t, "POST", "/api/v1/organizations/"+id+"/api-keys", alice.Token, map[string]any{"name": "ci", "organization_id": other}), 400, "VALIDATION_ERROR")
	r := s.call(t, "POST", "/api/v1/organizations/"+id+"/api-keys", alice.Token, map[string]any{"name": "ci", "description": "deploys"})
	expect(t, r, 201, "")
	var created struct {
		Key    string `json:"key"`
		APIKey struct {
			ID        string `json:"id"`
			KeyPrefix string `json:"key_prefix"`
		} `json:"api_key"`
	}
	r.data(t, &created)
	if !org.LooksLikeAPIKey(created.Key) || !strings.HasPrefix(created.Key, created.APIKey.KeyPrefix) {
		t.Fatalf("created key: %s", r.env.Data)
	}
	r = s.call(t, "GET", "/api/v1/organizations/"+id+"/api-keys", alice.Token, nil)
	expect(t, r, 200, "")
	if strings.Contains(string(r.raw), created.Key) || !strings.Contains(string(r.raw), created.APIKey.ID) {
		t.Fatalf("key listing: %s", r.raw)
	}

	key := created.Key
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id, key, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id+"/members", key, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id+"/roles", key, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+other, key, nil), 404, "NOT_FOUND")
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+id, key, map[string]any{"name": "pwned"}), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id+"/api-keys", key, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", key, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "GET", "/api/v1/users/me/organizations", key, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id, org.APIKeyPrefix+strings.Repeat("A", org.APIKeySecretLen), nil), 401, "INVALID_TOKEN")

	r = s.call(t, "GET", "/api/v1/organizations/"+id+"/api-keys", alice.Token, nil)
	if strings.Contains(string(r.env.Data), `"last_used_at":null`) {
		t.Fatalf("last use not recorded: %s", r.env.Data)
	}
	r = s.call(t, "PATCH", "/api/v1/organizations/"+id+"/api-keys/"+created.APIKey.ID, alice.Token, map[string]any{"name": "ci-2"})
	expect(t, r, 200, "")
	expect(t, s.call(t, "PATCH", "/api/v1/organizations/"+other+"/api-keys/"+created.APIKey.ID, alice.Token, map[string]any{"name": "x"}), 404, "NOT_FOUND")
	expect(t, s.call(t, "DELETE", "/api/v1/organizations/"+id+"/api-keys/"+created.APIKey.ID, alice.Token, map[string]any{"reason": "rotated"}), 200, "")
	expect(t, s.call(t, "DELETE", "/api/v1/organizations/"+id+"/api-keys/"+created.APIKey.ID, alice.Token, nil), 409, "ALREADY_REVOKED")
	expect(t, s.call(t, "GET", "/api/v1/organizations/"+id, key, nil), 401, "INVALID_TOKEN")
}

func testAdminUsersAPI(t *testing.T, s *server, root authData) {
	owner := s.verifiedUser(t, uniq("owner")+"@example.com")
	adm := s.verifiedUser(t, uniq("adm")+"@example.com")
	mem := s.verifiedUser(t, uniq("mem")+"@example.com")
	id := s.newOrg(t, owner.Token, uniq("adm"))
	s.joinOrg(t, owner.Token, id, adm, "admin")
	s.joinOrg(t, owner.Token, id, mem, "member")
	stranger := s.verifiedUser(t, uniq("stranger")+"@example.com")

	r := s.call(t, "GET", "/api/v1/admin/users?per_page=100", root.Token, nil)
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), stranger.User.Email) {
		t.Fatalf("the platform admin does not see everyone: %s", r.env.Data)
	}
	r = s.call(t, "GET", "/api/v1/admin/users?page_size=100", adm.Token, nil)
	expect(t, r, 200, "")
	var list struct {
		Users []struct {
			Email   string `json:"email"`
			OrgRole string `json:"org_role"`
			OrgID   string `json:"org_id"`
		} `json:"users"`
		Count int `json:"count"`
	}
	r.data(t, &list)
	if list.Count != 3 || strings.Contains(string(r.env.Data), stranger.User.Email) {
		t.Fatalf("the org admin's view: %s", r.env.Data)
	}
	expect(t, s.call(t, "GET", "/api/v1/admin/users", mem.Token, nil), 403, "AUTHORIZATION_ERROR")
	expect(t, s.call(t, "GET", "/api/v1/admin/users/"+stranger.User.ID, adm.Token, nil), 404, "NOT_FOUND")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+owner.User.ID+"/suspend", adm.Token, nil), 403, "OWNER_PROTECTION")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+root.User.ID+"/suspend", adm.Token, nil), 404, "NOT_FOUND")

	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/suspend", adm.Token, nil), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", mem.Token, nil), 401, "INVALID_TOKEN")
	expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": mem.User.Email, "password": pw}), 403, "ACCOUNT_SUSPENDED")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/unsuspend", adm.Token, nil), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/password", adm.Token, map[string]any{"password": "x"}), 400, "VALIDATION_ERROR")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/password", adm.Token, map[string]any{"password": "granite-table-lamp-77"}), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": mem.User.Email, "password": "granite-table-lamp-77"}), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/verify-email", adm.Token, nil), 200, "")
	r = s.call(t, "GET", "/api/v1/admin/users/"+mem.User.ID+"/linked-accounts", adm.Token, nil)
	expect(t, r, 200, "")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/delete", adm.Token, nil), 400, "CONFIRMATION_REQUIRED")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+mem.User.ID+"/delete", adm.Token, map[string]any{"confirm": true}), 200, "")
	expect(t, s.call(t, "GET", "/api/v1/admin/users/"+mem.User.ID, root.Token, nil), 404, "NOT_FOUND")
	expect(t, s.call(t, "POST", "/api/v1/admin/users/"+adm.User.ID+"/suspend", adm.Token, nil), 403, "AUTHORIZATION_ERROR")
	expect(t, s.call(t, "PATCH", "/api/v1/users/me", adm.Token, map[string]any{"is_platform_admin": true}), 400, "VALIDATION_ERROR")
}

func testDeletionAndSetup(t *testing.T, s *server) {
	alice := s.verifiedUser(t, uniq("alice")+"@example.com")
	bob := s.verifiedUser(t, uniq("bob")+"@example.com")
	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": bob.User.Email, "password": pw})
	expect(t, r, 200, "")
	if !strings.Contains(string(r.env.Data), `"requires_org_setup":true`) || !strings.Contains(string(r.env.Data), `"pending_invites":[]`) {
		t.Fatalf("login without an org: %s", r.env.Data)
	}
	id := s.newOrg(t, alice.Token, uniq("del"))
	s.inviteTo(t, alice.Token, id, bob.User.Email, "admin")
	r = s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": bob.User.Email, "password": pw})
	var login struct {
		RequiresOrgSetup bool `json:"requires_org_setup"`
		PendingInvites   []struct {
			OrganizationID string `json:"organization_id"`
			Role           string `json:"role"`
		} `json:"pending_invites"`
	}
	r.data(t, &login)
	if !login.RequiresOrgSetup || len(login.PendingInvites) != 1 || login.PendingInvites[0].OrganizationID != id {
		t.Fatalf("login with a pending invite: %s", r.env.Data)
	}
	expect(t, s.call(t, "POST", "/api/v1/invites/"+s.linkToken(t, bob.User.Email, message.OrgInvite)+"/accept", bob.Token, nil), 200, "")
	r = s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": alice.User.Email, "password": pw})
	if strings.Contains(string(r.env.Data), "requires_org_setup") {
		t.Fatalf("a member is asked for org setup: %s", r.env.Data)
	}
	r = s.call(t, "DELETE", "/api/v1/users/me", alice.Token, nil)
	expect(t, r, 409, "USER_IS_SOLE_OWNER")
	expect(t, s.call(t, "GET", "/api/v1/auth/me", alice.Token, nil), 200, "")
	expect(t, s.call(t, "POST", "/api/v1/organizations/"+id+"/transfer-ownership", alice.Token, map[string]any{"new_owner_user_id": bob.User.ID}), 200, "")
	if m := s.waitMail(t, bob.User.Email, message.OwnershipTransfer); m.Vars["to_name"] == "" {
		t.Fatalf("ownership mail: %+v", m)
	}
	expect(t, s.call(t, "DELETE", "/api/v1/users/me", alice.Token, nil), 200, "")
	r = s.call(t, "GET", "/api/v1/organizations/"+id+"/members", bob.Token, nil)
	if strings.Contains(string(r.env.Data), alice.User.Email) {
		t.Fatalf("a deleted account is still listed: %s", r.env.Data)
	}
}

// --- tenant isolation ---------------------------------------------------

// orgState is everything about an organization that an attack could
// change, for before/after comparisons.
func orgState(t *testing.T, s *server, orgID string) string {
	t.Helper()
	ctx := context.Background()
	st := s.app.Store()
	var b strings.Builder
	o, err := st.OrgByID(ctx, orgID)
	fmt.Fprintf(&b, "org %s %q %q %q %v\n", o.ID, o.Name, o.Description, o.LogoURL, err)
	ms, _, err := st.ListMembers(ctx, orgID, ports.MemberQuery{})
	fmt.Fprintf(&b, "members err=%v\n", err)
	for _, m := range ms {
		fmt.Fprintf(&b, "  %s %s %s %v\n", m.UserID, m.Role, m.Status, m.EmailVerified)
	}
	invs, err := st.ListInvites(ctx, orgID, time.Now())
	fmt.Fprintf(&b, "invites err=%v\n", err)
	for _, i := range invs {
		fmt.Fprintf(&b, "  %s %s %s\n", i.ID, i.Email, i.Role)
	}
	keys, err := st.ListAPIKeys(ctx, orgID)
	fmt.Fprintf(&b, "keys err=%v\n", err)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s %s %q %v\n", k.ID, k.Name, k.Description, k.Revoked())
	}
	clients, err := st.ClientsByOrg(ctx, orgID)
	fmt.Fprintf(&b, "clients err=%v\n", err)
	for _, c := range clients {
		fmt.Fprintf(&b, "  %s %q %v %v %s\n", c.ClientID, c.Name, c.RedirectURIs, c.Active, c.SecretHash)
	}
	return b.String()
}

// victim is organization B, fully furnished, plus the IDs an attacker
// would aim at.
type victim struct {
	orgID, ownerID, adminID, memberID, inviteID, keyID string
	ownerToken                                         string
	clientID                                           string // an OIDC client of B
}

func furnishVictim(t *testing.T, s *server) victim {
	t.Helper()
	owner := s.verifiedUser(t, uniq("bowner")+"@example.com")
	adm := s.verifiedUser(t, uniq("badmin")+"@example.com")
	mem := s.verifiedUser(t, uniq("bmember")+"@example.com")
	id := s.newOrg(t, owner.Token, uniq("victim"))
	s.joinOrg(t, owner.Token, id, adm, "admin")
	s.joinOrg(t, owner.Token, id, mem, "member")
	r := s.call(t, "POST", "/api/v1/organizations/"+id+"/invites", owner.Token, map[string]any{"email": uniq("pending") + "@example.com"})
	expect(t, r, 201, "")
	var inv struct {
		Invite struct {
			ID string `json:"id"`
		} `json:"invite"`
	}
	r.data(t, &inv)
	r = s.call(t, "POST", "/api/v1/organizations/"+id+"/api-keys", owner.Token, map[string]any{"name": "b-key"})
	expect(t, r, 201, "")
	var key struct {
		APIKey struct {
			ID string `json:"id"`
		} `json:"api_key"`
	}
	r.data(t, &key)
	r = s.call(t, "POST", "/api/v1/organizations/"+id+"/clients", owner.Token, map[string]any{"name": "b-app", "redirect_uris": []string{"https://b.example/cb"}})
	expect(t, r, 201, "")
	var cl struct {
		Client struct {
			ClientID string `json:"client_id"`
		} `json:"client"`
	}
	r.data(t, &cl)
	return victim{orgID: id, ownerID: owner.User.ID, adminID: adm.User.ID, memberID: mem.User.ID,
		inviteID: inv.Invite.ID, keyID: key.APIKey.ID, ownerToken: owner.Token, clientID: cl.Client.ClientID}
}

// isolationBodies are the bodies sent to the organization routes in the
// isolation walk: valid requests that an owner of the path's organization
// would have had accepted. Routes missing here are probed with "{}".
func isolationBodies(v victim, attackerID string) map[string]any {
	return map[string]any{
		"GET /api/v1/organizations/:org":                              nil,
		"GET /api/v1/organizations/:org/members":                      nil,
		"GET /api/v1/organizations/:org/roles":                        nil,
		"GET /api/v1/organizations/:org/invites":                      nil,
		"GET /api/v1/organizations/:org/api-keys":                     nil,
		"PATCH /api/v1/organizations/:org":                            map[string]any{"name": "Pwned", "description": "pwned"},
		"DELETE /api/v1/organizations/:org":                           map[string]any{"confirm": true},
		"POST /api/v1/organizations/:org/members":                     map[string]any{"email": "x@example.com", "role": "owner"},
		"PATCH /api/v1/organizations/:org/members/:user/role":         map[string]any{"role": "guest"},
		"POST /api/v1/organizations/:org/transfer-ownership":          map[string]any{"new_owner_user_id": attackerID},
		"POST /api/v1/organizations/:org/roles/:role/members":         map[string]any{"user_id": v.memberID},
		"POST /api/v1/organizations/:org/invites":                     map[string]any{"email": "spy@example.com", "role": "owner"},
		"POST /api/v1/organizations/:org/api-keys":                    map[string]any{"name": "stolen"},
		"PATCH /api/v1/organizations/:org/api-keys/:id":               map[string]any{"name": "stolen"},
		"DELETE /api/v1/organizations/:org/api-keys/:id":              map[string]any{"reason": "pwned"},
		"DELETE /api/v1/organizations/:org/members/:user":             nil,
		"DELETE /api/v1/organizations/:org/invites/:id":               nil,
		"DELETE /api/v1/organizations/:org/roles/:role/members/:user": nil,
		"GET /api/v1/organizations/:org/clients":                      nil,
		"POST /api/v1/organizations/:org/clients":                     map[string]any{"name": "spy", "redirect_uris": []string{"https://spy.example/cb"}},
		"GET /api/v1/organizations/:org/clients/:id":                  nil,
		"PATCH /api/v1/organizations/:org/clients/:id":                map[string]any{"redirect_uris": []string{"https://evil.example/cb"}},
		"DELETE /api/v1/organizations/:org/clients/:id":               nil,
		"POST /api/v1/organizations/:org/clients/:id/rotate-secret":   nil,
		"POST /api/v1/organizations/:org/clients/:id/disable":         nil,
		"POST /api/v1/organizations/:org/clients/registration-tokens": map[string]any{"max_uses": 5},
	}
}

// fillPath puts the victim's objects into a route's parameters: the
// organization, a member (the admin, whom an owner could act on), the
// route's own object for :id, and a role.
func fillPath(t *testing.T, path string, v victim) string {
	t.Helper()
	var out []string
	for _, seg := range strings.Split(path, "/") {
		if !strings.HasPrefix(seg, ":") {
			out = append(out, seg)
			continue
		}
		switch name := strings.TrimSuffix(strings.TrimSuffix(seg[1:], "?"), "+"); name {
		case "org":
			out = append(out, v.orgID)
		case "user":
			out = append(out, v.adminID)
		case "role":
			out = append(out, "admin")
		case "id":
			switch {
			case strings.Contains(path, "/invites/"):
				out = append(out, v.inviteID)
			case strings.Contains(path, "/api-keys/"):
				out = append(out, v.keyID)
			case strings.Contains(path, "/clients/"):
				out = append(out, v.clientID)
			default:
				// Another feature's object: any ID will do, the
				// organization in the path must already refuse.
				out = append(out, v.keyID)
			}
		default:
			out = append(out, v.memberID)
		}
	}
	return strings.Join(out, "/")
}

// TestTenantIsolation walks the route table: every route with an :org
// parameter is called by the owner of another organization (and with that
// organization's API key) on organization B's objects, and must answer
// 404 and change nothing. Then the attacker names B's objects under its
// own organization, in paths and bodies: also 404, also no change.
func TestTenantIsolation(t *testing.T) {
	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			s, _ := orgServer(t, backend)
			v := furnishVictim(t, s)
			attacker := s.verifiedUser(t, uniq("attacker")+"@example.com")
			own := s.newOrg(t, attacker.Token, uniq("attacker"))
			r := s.call(t, "POST", "/api/v1/organizations/"+own+"/api-keys", attacker.Token, map[string]any{"name": "mine"})
			expect(t, r, 201, "")
			var k struct {
				Key string `json:"key"`
			}
			r.data(t, &k)
			bodies := isolationBodies(v, attacker.User.ID)
			before := orgState(t, s, v.orgID)

			seen := map[string]bool{}
			routes := s.app.HTTP().GetRoutes(true)
			sort.Slice(routes, func(i, j int) bool { return routes[i].Method+routes[i].Path < routes[j].Method+routes[j].Path })
			covered := 0
			for _, rt := range routes {
				if !strings.Contains(rt.Path, "/:org") || rt.Method == "HEAD" || rt.Method == "OPTIONS" || rt.Method == "CONNECT" || rt.Method == "TRACE" {
					continue
				}
				key := rt.Method + " " + rt.Path
				if seen[key] {
					continue
				}
				seen[key] = true
				body, known := bodies[key]
				if !known && rt.Method != "GET" && rt.Method != "DELETE" {
					body = map[string]any{}
				}
				if !known {
					t.Logf("probing %s generically (no specific body in isolationBodies)", key)
				}
				path := fillPath(t, rt.Path, v)
				for who, tok := range map[string]string{"session": attacker.Token, "api key": k.Key} {
					r := s.call(t, rt.Method, path, tok, body)
					if who == "api key" && r.status == 401 {
						continue // a route that takes no API keys refuses them outright
					}
					if r.status != 404 || r.env.Error == nil || r.env.Error.Type != "NOT_FOUND" {
						t.Errorf("%s by another org's %s: %d %s", key, who, r.status, r.raw)
					}
				}
				covered++
				if after := orgState(t, s, v.orgID); after != before {
					t.Fatalf("%s changed organization B:\nbefore %s\nafter  %s", key, before, after)
				}
			}
			for key := range bodies {
				if !seen[key] {
					t.Errorf("isolationBodies names %s, which is not a route", key)
				}
			}
			if covered < len(bodies) {
				t.Fatalf("only %d organization routes walked", covered)
			}

			// B's objects named under the attacker's own organization.
			for _, c := range []struct{ method, path string }{
				{"DELETE", "/api/v1/organizations/" + own + "/members/" + v.memberID},
				{"PATCH", "/api/v1/organizations/" + own + "/members/" + v.memberID + "/role"},
				{"DELETE", "/api/v1/organizations/" + own + "/invites/" + v.inviteID},
				{"PATCH", "/api/v1/organizations/" + own + "/api-keys/" + v.keyID},
				{"DELETE", "/api/v1/organizations/" + own + "/api-keys/" + v.keyID},
				{"POST", "/api/v1/organizations/" + own + "/transfer-ownership"},
				{"POST", "/api/v1/organizations/" + own + "/roles/admin/members"},
				{"DELETE", "/api/v1/organizations/" + own + "/roles/admin/members/" + v.adminID},
				{"GET", "/api/v1/organizations/" + own + "/clients/" + v.clientID},
				{"PATCH", "/api/v1/organizations/" + own + "/clients/" + v.clientID},
				{"DELETE", "/api/v1/organizations/" + own + "/clients/" + v.clientID},
				{"POST", "/api/v1/organizations/" + own + "/clients/" + v.clientID + "/rotate-secret"},
				{"POST", "/api/v1/organizations/" + own + "/clients/" + v.clientID + "/disable"},
			} {
				var body any
				switch {
				case strings.HasSuffix(c.path, "/role"):
					body = map[string]any{"role": "guest"}
				case strings.Contains(c.path, "/api-keys/") && c.method == "PATCH":
					body = map[string]any{"name": "stolen"}
				case strings.HasSuffix(c.path, "/transfer-ownership"):
					body = map[string]any{"new_owner_user_id": v.memberID}
				case strings.HasSuffix(c.path, "/roles/admin/members"):
					body = map[string]any{"user_id": v.memberID}
				case strings.Contains(c.path, "/clients/") && c.method == "PATCH":
					body = map[string]any{"redirect_uris": []string{"https://evil.example/cb"}}
				default:
					body = nil
				}
				r := s.call(t, c.method, c.path, attacker.Token, body)
				if r.status != 404 {
					t.Errorf("%s %s with B's object: %d %s", c.method, c.path, r.status, r.raw)
				}
			}
			if after := orgState(t, s, v.orgID); after != before {
				t.Fatalf("naming B's objects changed B:\nbefore %s\nafter  %s", before, after)
			}
			// B's owner still has everything.
			expect(t, s.call(t, "GET", "/api/v1/organizations/"+v.orgID, v.ownerToken, nil), 200, "")
		})
	}
}

// --- privilege matrix ----------------------------------------------------

// matrixTeam is one organization for one cell of the privilege matrix.
type matrixTeam struct {
	org             string
	tokens          map[string]string
	ids             map[string]string
	inviteID, keyID string
}

func newMatrixTeam(t *testing.T, s *server, root authData) matrixTeam {
	t.Helper()
	ctx := context.Background()
	tm := matrixTeam{tokens: map[string]string{"platform": root.Token}, ids: map[string]string{"platform": root.User.ID}}
	emails := map[string]string{}
	for _, r := range []string{"owner", "admin", "member", "guest", "outsider"} {
		email := uniq(r) + "@example.com"
		d := s.register(t, email)
		tm.tokens[r], tm.ids[r], emails[r] = d.Token, d.User.ID, email
	}
	res, err := s.app.Tenancy.ProvisionOrg(ctx, tenancy.ProvisionOrgInput{
		Name: "Matrix", Slug: uniq("m"), OwnerEmail: emails["owner"],
		Members: []tenancy.ProvisionMember{{Email: emails["admin"], Role: org.Admin}, {Email: emails["member"], Role: org.Member}, {Email: emails["guest"], Role: org.Guest}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tm.org = res.Org.ID
	owner, err := s.app.Store().UserByID(ctx, tm.ids["owner"])
	if err != nil {
		t.Fatal(err)
	}
	inv, err := s.app.Tenancy.CreateInvite(ctx, tenancy.UserActor(owner), tm.org, uniq("p")+"@example.com", "member", accountSource())
	if err != nil {
		t.Fatal(err)
	}
	name := "k"
	k, _, err := s.app.Tenancy.CreateAPIKey(ctx, tenancy.UserActor(owner), tm.org, tenancy.APIKeyInput{Name: &name}, accountSource())
	if err != nil {
		t.Fatal(err)
	}
	tm.inviteID, tm.keyID = inv.ID, k.ID
	return tm
}

// TestPrivilegeMatrix checks every role against every organization and
// admin action: allowed (2xx) or refused with the expected status and
// type; a refused request changes nothing.
func TestPrivilegeMatrix(t *testing.T) {
	roles := []string{"owner", "admin", "member", "guest", "outsider", "platform"}
	const (
		ok   = "2xx"
		nf   = "404"
		deny = "403:AUTHORIZATION_ERROR"
		prot = "403:OWNER_PROTECTION"
	)
	type action struct {
		name   string
		method string
		path   func(tm matrixTeam, actor string) string
		body   func(tm matrixTeam) any
		want   [6]string // owner, admin, member, guest, outsider, platform
	}
	o := func(suffix string) func(matrixTeam, string) string {
		return func(tm matrixTeam, _ string) string { return "/api/v1/organizations/" + tm.org + suffix }
	}
	member := func(who, suffix string) func(matrixTeam, string) string {
		return func(tm matrixTeam, _ string) string {
			return "/api/v1/organizations/" + tm.org + "/members/" + tm.ids[who] + suffix
		}
	}
	none := func(matrixTeam) any { return nil }
	fixed := func(v any) func(matrixTeam) any { return func(matrixTeam) any { return v } }
	actions := []action{
		{"read the org", "GET", o(""), none, [6]string{ok, ok, ok, ok, nf, nf}},
		{"update the org", "PATCH", o(""), fixed(map[string]any{"description": "changed"}), [6]string{ok, ok, deny, deny, nf, nf}},
		{"delete the org", "DELETE", o(""), fixed(map[string]any{"confirm": true}), [6]string{ok, deny, deny, deny, nf, nf}},
		{"list members", "GET", o("/members"), none, [6]string{ok, ok, ok, deny, nf, nf}},
		{"list roles", "GET", o("/roles"), none, [6]string{ok, ok, ok, deny, nf, nf}},
		// Members join by invitation; a platform admin passes the check
		// (and then fails on the empty email, changing nothing).
		{"add a member directly", "POST", o("/members"), fixed(map[string]any{"email": "", "role": "member"}),
			[6]string{deny, deny, deny, deny, nf, "400:VALIDATION_ERROR"}},
		{"make a member admin", "PATCH", member("member", "/role"), fixed(map[string]any{"role": "admin"}), [6]string{ok, ok, deny, deny, nf, nf}},
		{"make a member owner", "PATCH", member("member", "/role"), fixed(map[string]any{"role": "owner"}), [6]string{ok, prot, deny, deny, nf, nf}},
		{"demote the owner", "PATCH", member("owner", "/role"), fixed(map[string]any{"role": "member"}), [6]string{prot, prot, deny, deny, nf, nf}},
		{"demote the admin", "PATCH", member("admin", "/role"), fixed(map[string]any{"role": "guest"}), [6]string{ok, ok, deny, deny, nf, nf}},
		{"remove a member", "DELETE", member("member", ""), none, [6]string{ok, ok, ok, deny, nf, nf}},
		{"remove the owner", "DELETE", member("owner", ""), none, [6]string{prot, prot, deny, deny, nf, nf}},
		{"leave", "DELETE", func(tm matrixTeam, actor string) string {
			return "/api/v1/organizations/" + tm.org + "/members/" + tm.ids[actor]
		}, none, [6]string{prot, ok, ok, ok, nf, nf}},
		{"transfer ownership", "POST", o("/transfer-ownership"), func(tm matrixTeam) any {
			return map[string]any{"new_owner_user_id": tm.ids["member"]}
		}, [6]string{ok, deny, deny, deny, nf, nf}},
		{"give the admin role by the role endpoint", "POST", o("/roles/admin/members"), func(tm matrixTeam) any {
			return map[string]any{"user_id": tm.ids["member"]}
		}, [6]string{ok, ok, deny, deny, nf, nf}},
		{"take the admin role away", "DELETE", func(tm matrixTeam, _ string) string {
			return "/api/v1/organizations/" + tm.org + "/roles/admin/members/" + tm.ids["admin"]
		}, none, [6]string{ok, ok, deny, deny, nf, nf}},
		{"invite a member", "POST", o("/invites"), func(matrixTeam) any { return map[string]any{"email": uniq("i") + "@example.com"} }, [6]string{ok, ok, deny, deny, nf, nf}},
		{"invite an admin", "POST", o("/invites"), func(matrixTeam) any { return map[string]any{"email": uniq("i") + "@example.com", "role": "admin"} }, [6]string{ok, ok, deny, deny, nf, nf}},
		{"invite an owner", "POST", o("/invites"), func(matrixTeam) any { return map[string]any{"email": uniq("i") + "@example.com", "role": "owner"} }, [6]string{ok, prot, deny, deny, nf, nf}},
		{"list invites", "GET", o("/invites"), none, [6]string{ok, ok, deny, deny, nf, nf}},
		{"cancel an invite", "DELETE", func(tm matrixTeam, _ string) string {
			return "/api/v1/organizations/" + tm.org + "/invites/" + tm.inviteID
		}, none, [6]string{ok, ok, deny, deny, nf, nf}},
		{"list API keys", "GET", o("/api-keys"), none, [6]string{ok, ok, deny, deny, nf, nf}},
		{"create an API key", "POST", o("/api-keys"), fixed(map[string]any{"name": "new"}), [6]string{ok, ok, deny, deny, nf, nf}},
		{"rename an API key", "PATCH", func(tm matrixTeam, _ string) string {
			return "/api/v1/organizations/" + tm.org + "/api-keys/" + tm.keyID
		}, fixed(map[string]any{"name": "renamed"}), [6]string{ok, ok, deny, deny, nf, nf}},
		{"revoke an API key", "DELETE", func(tm matrixTeam, _ string) string {
			return "/api/v1/organizations/" + tm.org + "/api-keys/" + tm.keyID
		}, none, [6]string{ok, ok, deny, deny, nf, nf}},
		{"list users (admin)", "GET", func(matrixTeam, string) string { return "/api/v1/admin/users" }, none, [6]string{ok, ok, deny, deny, deny, ok}},
		{"suspend a member (admin)", "POST", func(tm matrixTeam, _ string) string { return "/api/v1/admin/users/" + tm.ids["member"] + "/suspend" }, none, [6]string{ok, ok, deny, deny, deny, ok}},
		{"suspend the owner (admin)", "POST", func(tm matrixTeam, _ string) string { return "/api/v1/admin/users/" + tm.ids["owner"] + "/suspend" }, none, [6]string{deny, prot, deny, deny, deny, prot}},
		{"suspend the admin (admin)", "POST", func(tm matrixTeam, _ string) string { return "/api/v1/admin/users/" + tm.ids["admin"] + "/suspend" }, none, [6]string{ok, deny, deny, deny, deny, ok}},
		{"set the member's password (admin)", "POST", func(tm matrixTeam, _ string) string { return "/api/v1/admin/users/" + tm.ids["member"] + "/password" }, fixed(map[string]any{"password": "copper-kettle-sings-12"}), [6]string{ok, ok, deny, deny, deny, ok}},
	}

	for name, backend := range backends(t) {
		t.Run(name, func(t *testing.T) {
			requireBackendServices(t, name)
			s, root := orgServer(t, backend)
			for _, a := range actions {
				for i, role := range roles {
					t.Run(a.name+"/"+role, func(t *testing.T) {
						tm := newMatrixTeam(t, s, root)
						before := orgState(t, s, tm.org)
						r := s.call(t, a.method, a.path(tm, role), tm.tokens[role], a.body(tm))
						want := a.want[i]
						if want == ok {
							if r.status < 200 || r.status > 299 {
								t.Fatalf("%s as %s: %d %s, want success", a.name, role, r.status, r.raw)
							}
							return
						}
						status, typ, _ := strings.Cut(want, ":")
						if typ == "" {
							typ = "NOT_FOUND"
						}
						if fmt.Sprint(r.status) != status || r.env.Error == nil || r.env.Error.Type != typ {
							t.Fatalf("%s as %s: %d %s, want %s", a.name, role, r.status, r.raw, want)
						}
						if after := orgState(t, s, tm.org); after != before {
							t.Fatalf("a refused %s as %s changed the org:\n%s\n%s", a.name, role, before, after)
						}
					})
				}
			}
			t.Run("a platform admin adds an existing account directly", func(t *testing.T) {
				tm := newMatrixTeam(t, s, root)
				extra := s.register(t, uniq("extra")+"@example.com")
				r := s.call(t, "POST", "/api/v1/organizations/"+tm.org+"/members", root.Token, map[string]any{"email": extra.User.Email, "role": "admin"})
				expect(t, r, 201, "")
				r = s.call(t, "POST", "/api/v1/organizations/"+tm.org+"/members", root.Token, map[string]any{"email": extra.User.Email, "role": "admin"})
				expect(t, r, 409, "CONFLICT")
				r = s.call(t, "POST", "/api/v1/organizations/"+tm.org+"/members", root.Token, map[string]any{"email": uniq("z") + "@example.com", "role": "owner"})
				expect(t, r, 403, "OWNER_PROTECTION")
			})
		})
	}
}

// accountSource is the audit source of calls made straight to the core.
func accountSource() audit.Source { return audit.Source{RequestID: "test"} }
