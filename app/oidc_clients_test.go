package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// loginAPI signs a seeded user in through the REST API.
// acmeID is the ID of the seeded organization acme-corp.
func (s *server) acmeID(t *testing.T) string {
	t.Helper()
	acme, err := s.app.Store().OrgBySlug(t.Context(), "acme-corp")
	if err != nil {
		t.Fatal(err)
	}
	return acme.ID
}

// createClient registers an OIDC client of the organization over the REST
// API, as token, and returns it with its secret.
func (s *server) createClient(t *testing.T, token, orgID string, body map[string]any) createdClient {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/organizations/"+orgID+"/clients", token, body)
	expect(t, r, 201, "")
	var cc createdClient
	r.data(t, &cc)
	return cc
}

func (s *server) loginAPI(t *testing.T, email, password string) string {
	t.Helper()
	r := s.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	expect(t, r, 200, "")
	var d authData
	r.data(t, &d)
	return d.Token
}

type createdClient struct {
	Client struct {
		ClientID     string   `json:"client_id"`
		RedirectURIs []string `json:"redirect_uris"`
		Active       bool     `json:"is_active"`
		Scopes       []string `json:"scopes"`
	} `json:"client"`
	Secret string `json:"client_secret"`
}

func TestOIDCClientManagementAPI(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := context.Background()
	acmeID := s.acmeID(t)
	base := "/api/v1/organizations/" + acmeID + "/clients"
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	admin := s.loginAPI(t, "carol@acme-corp.com", "UserPass123!")
	member := s.loginAPI(t, bobEmail, bobPassword)
	outsider := s.loginAPI(t, "david@acme-corp.com", "UserPass123!")

	r := s.call(t, "POST", base, admin, map[string]any{"name": "Reports", "redirect_uris": "https://reports.example/cb\nhttp://localhost:7000/cb",
		"grant_types": []string{"authorization_code", "refresh_token", "client_credentials"}, "scopes": []string{"openid", "profile", "roles", "api:read"},
		"access_token_lifetime": 600, "consent_mode": "first_party"})
	expect(t, r, 201, "")
	var cc createdClient
	r.data(t, &cc)
	id := cc.Client.ClientID
	if len(id) != 32 || len(cc.Secret) < 43 || len(cc.Client.RedirectURIs) != 2 {
		t.Fatalf("created %s", r.env.Data)
	}
	if strings.Contains(string(r.raw), "secret_hash") {
		t.Error("the response shows the secret hash")
	}

	t.Run("only owners and admins manage clients; non-members get 404", func(t *testing.T) {
		expect(t, s.call(t, "GET", base, owner, nil), 200, "")
		expect(t, s.call(t, "GET", base, member, nil), 403, "AUTHORIZATION_ERROR")
		expect(t, s.call(t, "GET", base+"/"+id, outsider, nil), 404, "NOT_FOUND")
		expect(t, s.call(t, "POST", base, outsider, map[string]any{"name": "x", "redirect_uris": []string{"https://x.example/cb"}}), 404, "NOT_FOUND")
		expect(t, s.call(t, "GET", base+"/acme-portal-001x", owner, nil), 404, "NOT_FOUND")
		// A client of another organization named under this one.
		expect(t, s.call(t, "GET", base+"/tech-dashboard-001", owner, nil), 404, "NOT_FOUND")
	})

	t.Run("the secret works once shown and the list never shows it", func(t *testing.T) {
		r := s.call(t, "GET", base, owner, nil)
		if !strings.Contains(string(r.raw), id) || strings.Contains(string(r.raw), cc.Secret) {
			t.Errorf("list: %s", r.raw)
		}
		conf := clientcredentials.Config{ClientID: id, ClientSecret: cc.Secret, TokenURL: s.url + "/oidc/token", Scopes: []string{"api:read"}}
		if _, err := conf.Token(ctx); err != nil {
			t.Fatalf("client_credentials with the new client: %v", err)
		}
	})

	for _, tc := range []struct {
		name string
		body map[string]any
	}{
		{"refuses a wildcard redirect URI", map[string]any{"redirect_uris": []string{"https://*.example/cb"}}},
		{"refuses a javascript: redirect URI", map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}},
		{"refuses plain http off loopback", map[string]any{"redirect_uris": []string{"http://reports.example/cb"}}},
		{"refuses a fragment", map[string]any{"redirect_uris": []string{"https://reports.example/cb#x"}}},
		{"refuses an unknown grant", map[string]any{"grant_types": []string{"password"}}},
		{"refuses an http logo", map[string]any{"logo_uri": "http://reports.example/logo.png"}},
		{"refuses a too long access token lifetime", map[string]any{"access_token_lifetime": 10 * 24 * 3600}},
		{"refuses private_key_jwt without keys", map[string]any{"token_endpoint_auth_method": "private_key_jwt"}},
	} {
		t.Run("update "+tc.name, func(t *testing.T) {
			expect(t, s.call(t, "PATCH", base+"/"+id, owner, tc.body), 400, "VALIDATION_ERROR")
		})
	}

	t.Run("update changes redirect URIs, post-logout URIs and the back-channel URI", func(t *testing.T) {
		r := s.call(t, "PATCH", base+"/"+id, owner, map[string]any{"redirect_uris": []string{"http://localhost:7000/cb"},
			"post_logout_redirect_uris": []string{"http://localhost:7000/"}, "backchannel_logout_uri": "https://reports.example/bc",
			"policy_uri": "https://reports.example/privacy", "require_pkce": true})
		expect(t, r, 200, "")
		var got createdClient
		r.data(t, &got)
		if len(got.Client.RedirectURIs) != 1 || !strings.Contains(string(r.raw), "reports.example/bc") {
			t.Errorf("updated %s", r.env.Data)
		}
	})

	t.Run("the roles claim lists memberships and org: scopes a login to one org", func(t *testing.T) {
		jar := newRP(t, s)
		jar.conf = oauth2.Config{ClientID: id, ClientSecret: cc.Secret, Endpoint: jar.provider.Endpoint(), RedirectURL: "http://localhost:7000/cb",
			Scopes: []string{"openid", "roles"}}
		verifier := oauth2.GenerateVerifier()
		res, body := jar.login(jar.conf.AuthCodeURL("r1", oauth2.S256ChallengeOption(verifier)), "charlie@cross-org.com", "UserPass123!")
		loc := redirectTo(t, res, body)
		tok, err := jar.conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := jar.provider.Verifier(&gooidc.Config{ClientID: id}).Verify(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Roles []struct {
				OrgID string `json:"organization_id"`
				Slug  string `json:"organization_slug"`
				Role  string `json:"role"`
			} `json:"roles"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if len(claims.Roles) != 2 {
			t.Fatalf("charlie's roles: %+v", claims.Roles)
		}
		for _, ro := range claims.Roles {
			if (ro.Slug == "acme-corp" && (ro.Role != "guest" || ro.OrgID != acmeID)) || (ro.Slug == "tech-startup" && ro.Role != "member") {
				t.Errorf("role %+v", ro)
			}
		}
		// Bob is not a member of tech-startup: access_denied with state and iss.
		res, body = newRP(t, s).with(t).login(jar.conf.AuthCodeURL("r2", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("scope", "openid roles org:tech-startup")), bobEmail, bobPassword)
		q := redirectTo(t, res, body).Query()
		if q.Get("error") != "access_denied" || q.Get("state") != "r2" || q.Get("iss") != s.url || q.Get("code") != "" {
			t.Errorf("org scope of a non-member: %v", q)
		}
	})

	t.Run("rotate-secret replaces the secret", func(t *testing.T) {
		r := s.call(t, "POST", base+"/"+id+"/rotate-secret", owner, nil)
		expect(t, r, 200, "")
		var got createdClient
		r.data(t, &got)
		if got.Secret == "" || got.Secret == cc.Secret {
			t.Fatalf("rotated %s", r.env.Data)
		}
		old := clientcredentials.Config{ClientID: id, ClientSecret: cc.Secret, TokenURL: s.url + "/oidc/token"}
		if _, err := old.Token(ctx); err == nil {
			t.Error("the old secret still works")
		}
		cc.Secret = got.Secret
	})

	t.Run("disable stops the client and its tokens", func(t *testing.T) {
		conf := clientcredentials.Config{ClientID: id, ClientSecret: cc.Secret, TokenURL: s.url + "/oidc/token", Scopes: []string{"api:read"}}
		tok, err := conf.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r := s.call(t, "POST", base+"/"+id+"/disable", admin, nil)
		expect(t, r, 200, "")
		if _, err := conf.Token(ctx); err == nil {
			t.Error("a disabled client got a token")
		}
		_, body, _ := postForm(t, s.url+"/oidc/introspect", "data-api-001", "data_secret_api_2024", url.Values{"token": {tok.AccessToken}})
		if body["active"] == true {
			t.Error("a disabled client's token is still active")
		}
	})

	t.Run("delete removes the client for good", func(t *testing.T) {
		expect(t, s.call(t, "DELETE", base+"/"+id, member, nil), 403, "AUTHORIZATION_ERROR")
		expect(t, s.call(t, "DELETE", base+"/"+id, owner, nil), 200, "")
		expect(t, s.call(t, "GET", base+"/"+id, owner, nil), 404, "NOT_FOUND")
		expect(t, s.call(t, "DELETE", base+"/"+id, owner, nil), 404, "NOT_FOUND")
	})

	t.Run("client changes are in the audit chain", func(t *testing.T) {
		for _, action := range []string{"oidc.client.created", "oidc.client.updated", "oidc.client.secret_rotated", "oidc.client.disabled", "oidc.client.deleted"} {
			rows := s.auditAll(t, "/api/v1/organizations/"+acmeID+"/audit-logs?action="+action, owner)
			if len(rows) == 0 {
				t.Errorf("no %s audit entry", action)
			}
		}
	})
}

func TestOIDCOrgDeletionDisablesItsClients(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := context.Background()
	u := s.verifiedUser(t, uniq("owner")+"@example.com")
	orgID := s.newOrg(t, u.Token, uniq("doomed"))
	cc := s.createClient(t, u.Token, orgID, map[string]any{"name": "Doomed", "grant_types": []string{"client_credentials"},
		"scopes": []string{"api:read"}})
	conf := clientcredentials.Config{ClientID: cc.Client.ClientID, ClientSecret: cc.Secret, TokenURL: s.url + "/oidc/token"}
	if _, err := conf.Token(ctx); err != nil {
		t.Fatal(err)
	}
	expect(t, s.call(t, "DELETE", "/api/v1/organizations/"+orgID, u.Token, map[string]any{"confirm": true}), 200, "")
	c, err := s.app.Store().ClientByClientID(ctx, cc.Client.ClientID)
	if err != nil || c.Active {
		t.Errorf("client after org deletion: active=%v err=%v", c.Active, err)
	}
	if _, err := conf.Token(ctx); err == nil {
		t.Error("a client of a deleted organization got a token")
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/organizations/"+orgID+"/clients", nil)
	req.Header.Set("Authorization", "Bearer "+u.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("clients of a deleted org: %d", res.StatusCode)
	}
}
