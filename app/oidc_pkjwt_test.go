package app_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// assertionSigner signs private_key_jwt client assertions.
type assertionSigner struct {
	key  *ecdsa.PrivateKey
	jwks json.RawMessage
}

func newAssertionSigner(t *testing.T) assertionSigner {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return assertionSigner{key: k, jwks: b}
}

func (a assertionSigner) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: a.key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOIDCPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	acmeID := s.acmeID(t)
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	signer := newAssertionSigner(t)
	cc := s.createClient(t, owner, acmeID, map[string]any{"name": "Signed", "grant_types": []string{"client_credentials"},
		"scopes": []string{"api:read"}, "token_endpoint_auth_method": "private_key_jwt", "jwks": signer.jwks})
	id := cc.Client.ClientID
	if cc.Secret != "" {
		t.Error("a private_key_jwt client got a secret")
	}
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": id, "sub": id, "aud": s.url, "exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix(),
			"jti": randomName()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	token := func(assertion string) (int, map[string]any) {
		status, body, _ := postForm(t, s.url+"/oidc/token", "", "", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
		return status, body
	}

	t.Run("a signed assertion gets a token; its replay is refused", func(t *testing.T) {
		a := signer.sign(t, claims(nil))
		if status, body := token(a); status != http.StatusOK || body["access_token"] == nil {
			t.Fatalf("assertion: %d %v", status, body)
		}
		if status, body := token(a); status != http.StatusUnauthorized && status != http.StatusBadRequest || body["error"] != "invalid_client" {
			t.Errorf("replayed assertion: %d %v", status, body)
		}
	})
	other := newAssertionSigner(t)
	for _, tc := range []struct {
		name      string
		assertion func() string
	}{
		{"refuses an assertion without exp", func() string { return signer.sign(t, claims(func(c map[string]any) { delete(c, "exp") })) }},
		{"refuses an assertion valid for an hour", func() string {
			return signer.sign(t, claims(func(c map[string]any) { c["exp"] = time.Now().Add(time.Hour).Unix() }))
		}},
		{"refuses an expired assertion", func() string {
			return signer.sign(t, claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }))
		}},
		{"refuses another audience", func() string {
			return signer.sign(t, claims(func(c map[string]any) { c["aud"] = []string{s.url, "https://other.example"} }))
		}},
		{"refuses an assertion without jti", func() string { return signer.sign(t, claims(func(c map[string]any) { delete(c, "jti") })) }},
		{"refuses iss different from sub", func() string { return signer.sign(t, claims(func(c map[string]any) { c["sub"] = "data-api-001" })) }},
		{"refuses a key the client did not register", func() string { return other.sign(t, claims(nil)) }},
		{"refuses an assertion naming a secret client", func() string {
			return signer.sign(t, claims(func(c map[string]any) { c["iss"], c["sub"] = "data-api-001", "data-api-001" }))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := token(tc.assertion()); status == http.StatusOK || body["error"] != "invalid_client" {
				t.Errorf("%d %v", status, body)
			}
		})
	}
	t.Run("the token endpoint alone is an accepted audience (RFC 7523 3)", func(t *testing.T) {
		endpointOnly := func() string {
			return signer.sign(t, claims(func(c map[string]any) { c["aud"] = s.url + "/oidc/token" }))
		}
		status, body := token(endpointOnly())
		if status != http.StatusOK || body["access_token"] == nil {
			t.Fatalf("token: %d %v", status, body)
		}
		at, _ := body["access_token"].(string)
		assertionForm := func(v url.Values) url.Values {
			v.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			v.Set("client_assertion", endpointOnly())
			return v
		}
		status, got, _ := postForm(t, s.url+"/oidc/introspect", "", "", assertionForm(url.Values{"token": {at}}))
		if status != http.StatusOK || got["active"] != true || got["client_id"] != id {
			t.Errorf("introspect: %d %v", status, got)
		}
		if status, got, _ := postForm(t, s.url+"/oidc/revoke", "", "", assertionForm(url.Values{"token": {at}})); status != http.StatusOK {
			t.Errorf("revoke: %d %v", status, got)
		}
		status, got, _ = postForm(t, s.url+"/oidc/introspect", "", "", assertionForm(url.Values{"token": {at}}))
		if status != http.StatusOK || got["active"] != false {
			t.Errorf("introspect after revocation: %d %v", status, got)
		}
	})
	t.Run("refuses an assertion together with a client secret", func(t *testing.T) {
		status, body, _ := postForm(t, s.url+"/oidc/token", id, "secret", url.Values{"grant_type": {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {signer.sign(t, claims(nil))}})
		if status == http.StatusOK || body["error"] == nil {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("refuses the token endpoint of another issuer as audience", func(t *testing.T) {
		a := signer.sign(t, claims(func(c map[string]any) { c["aud"] = "https://other.example/oidc/token" }))
		if status, body := token(a); status == http.StatusOK || body["error"] != "invalid_client" {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("the token endpoint is an accepted audience alongside the issuer", func(t *testing.T) {
		a := signer.sign(t, claims(func(c map[string]any) { c["aud"] = []string{s.url, s.url + "/oidc/token"} }))
		if status, body := token(a); status != http.StatusOK {
			t.Errorf("%d %v", status, body)
		}
	})
}
