package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"golang.org/x/oauth2/clientcredentials"
)

// register7591 posts RFC 7591 metadata with an initial access token.
func register7591(t *testing.T, s *server, token string, meta map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(meta)
	req, _ := http.NewRequest(http.MethodPost, s.url+"/oidc/register", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func TestOIDCDynamicRegistration(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := context.Background()
	acmeID := s.acmeID(t)
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	member := s.loginAPI(t, bobEmail, bobPassword)
	tokens := "/api/v1/organizations/" + acmeID + "/clients/registration-tokens"
	meta := map[string]any{"client_name": "Registered", "redirect_uris": []string{"https://reg.example/cb"},
		"grant_types": []string{"authorization_code", "client_credentials"}, "scope": "openid api:read"}

	t.Run("registration is never open", func(t *testing.T) {
		if status, body := register7591(t, s, "", meta); status != http.StatusUnauthorized || body["error"] != "invalid_token" {
			t.Errorf("no token: %d %v", status, body)
		}
		if status, _ := register7591(t, s, "rat_forged", meta); status != http.StatusUnauthorized {
			t.Errorf("forged token: %d", status)
		}
	})

	t.Run("only admins create initial access tokens", func(t *testing.T) {
		expect(t, s.call(t, "POST", tokens, member, map[string]any{}), 403, "AUTHORIZATION_ERROR")
		expect(t, s.call(t, "POST", tokens, owner, map[string]any{"max_uses": 0, "expires_in": 5}), 400, "VALIDATION_ERROR")
	})

	r := s.call(t, "POST", tokens, owner, map[string]any{"max_uses": 1, "expires_in": 600})
	expect(t, r, 201, "")
	var rt struct {
		Token string `json:"registration_token"`
	}
	r.data(t, &rt)

	t.Run("bad metadata does not spend the token", func(t *testing.T) {
		bad := map[string]any{"redirect_uris": []string{"http://reg.example/cb"}}
		if status, body := register7591(t, s, rt.Token, bad); status != http.StatusBadRequest || body["error"] != "invalid_redirect_uri" {
			t.Errorf("bad redirect: %d %v", status, body)
		}
		te := map[string]any{"redirect_uris": []string{"https://reg.example/cb"}, "grant_types": []string{"urn:ietf:params:oauth:grant-type:token-exchange"}}
		if status, _ := register7591(t, s, rt.Token, te); status != http.StatusBadRequest {
			t.Errorf("token exchange: %d", status)
		}
	})

	t.Run("a single-use token registers one client in its organization", func(t *testing.T) {
		status, body := register7591(t, s, rt.Token, meta)
		if status != http.StatusCreated || body["client_id"] == nil || body["client_secret"] == nil {
			t.Fatalf("register: %d %v", status, body)
		}
		id, _ := body["client_id"].(string)
		c, err := s.app.Store().ClientByClientID(ctx, id)
		if err != nil || c.OrgID != acmeID {
			t.Fatalf("registered client org %q err %v", c.OrgID, err)
		}
		secret, _ := body["client_secret"].(string)
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: s.url + "/oidc/token", Scopes: []string{"api:read"}}
		if _, err := cc.Token(ctx); err != nil {
			t.Errorf("the registered client cannot get a token: %v", err)
		}
		if status, _ := register7591(t, s, rt.Token, meta); status != http.StatusUnauthorized {
			t.Errorf("second use of a single-use token: %d", status)
		}
		rows := s.auditAll(t, "/api/v1/organizations/"+acmeID+"/audit-logs?action=oidc.client.registered", owner)
		if len(rows) != 1 {
			t.Errorf("%d oidc.client.registered entries", len(rows))
		}
	})

	t.Run("default scopes never include roles", func(t *testing.T) {
		r := s.call(t, "POST", tokens, owner, map[string]any{})
		expect(t, r, 201, "")
		var rt struct {
			Token string `json:"registration_token"`
		}
		r.data(t, &rt)
		status, body := register7591(t, s, rt.Token, map[string]any{"redirect_uris": []string{"https://reg.example/cb"}})
		if status != http.StatusCreated || body["scope"] != "openid profile email" {
			t.Errorf("defaults: %d %v", status, body)
		}
	})
}
