package app_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestOIDCTokenExchange(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	acmeID := s.acmeID(t)
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	mk := func(name string, exchange bool) createdClient {
		grants := []string{"client_credentials"}
		if exchange {
			grants = append(grants, "urn:ietf:params:oauth:grant-type:token-exchange")
		}
		cc := s.createClient(t, owner, acmeID, map[string]any{"name": name, "grant_types": grants,
			"scopes": []string{"openid", "profile", "email"}, "token_exchange": exchange})
		return cc
	}
	gateway, plain := mk("Gateway", true), mk("Plain", false)
	tok, _, _ := newRP(t, s).codeFlow(t) // bob's token from acme-portal-001 (acme-corp)
	exchange := func(c createdClient, extra url.Values) (int, map[string]any) {
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {tok.AccessToken},
			"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {"openid profile"}}
		for k, v := range extra {
			form[k] = v
		}
		status, body, _ := postForm(t, s.url+"/oidc/token", c.Client.ClientID, c.Secret, form)
		return status, body
	}

	t.Run("a client with the flag exchanges a user's token for a narrower one", func(t *testing.T) {
		status, body := exchange(gateway, nil)
		if status != http.StatusOK || body["access_token"] == nil || body["refresh_token"] != nil {
			t.Fatalf("exchange: %d %v", status, body)
		}
		at, _ := body["access_token"].(string)
		parts := strings.Split(at, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims struct {
			Sub   string         `json:"sub"`
			Scope string         `json:"scope"`
			Act   map[string]any `json:"act"`
		}
		_ = json.Unmarshal(payload, &claims)
		if claims.Scope != "openid profile" || claims.Act["sub"] != gateway.Client.ClientID || claims.Sub == "" {
			t.Errorf("exchanged token claims %+v", claims)
		}
		_, intro, _ := postForm(t, s.url+"/oidc/introspect", gateway.Client.ClientID, gateway.Secret, url.Values{"token": {at}})
		if intro["active"] != true || intro["sub"] != claims.Sub {
			t.Errorf("introspection of the exchanged token: %v", intro)
		}
	})
	for _, tc := range []struct {
		name  string
		c     *createdClient
		extra url.Values
		want  string
	}{
		{"refuses a client without the flag", &plain, nil, "unauthorized_client"},
		{"refuses a wider scope", &gateway, url.Values{"scope": {"openid offline_access roles"}}, "invalid_scope"},
		{"refuses an audience of another organization", &gateway, url.Values{"audience": {"tech-dashboard-001"}}, "invalid_target"},
		{"refuses a refresh token as subject", &gateway, url.Values{"subject_token_type": {"urn:ietf:params:oauth:token-type:refresh_token"}}, "invalid_request"},
		{"refuses actor tokens", &gateway, url.Values{"actor_token": {"x"}, "actor_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}, "invalid_request"},
		{"refuses a forged subject token", &gateway, url.Values{"subject_token": {"eyJhbGciOiJub25lIn0.e30."}}, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := exchange(*tc.c, tc.extra)
			if status == http.StatusOK || body["error"] != tc.want {
				t.Errorf("%d %v, want %s", status, body, tc.want)
			}
		})
	}
	t.Run("a revoked subject token cannot be exchanged", func(t *testing.T) {
		if status, _, _ := postForm(t, s.url+"/oidc/revoke", portalID, portalSecret, url.Values{"token": {tok.AccessToken}}); status != http.StatusOK {
			t.Fatal(status)
		}
		if status, body := exchange(gateway, nil); status == http.StatusOK {
			t.Errorf("exchanged a revoked token: %v", body)
		}
	})
}
