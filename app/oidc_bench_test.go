package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/secuird/secuird/core/provider"
)

// form runs one form POST with basic client authentication in process.
func form(h fasthttp.RequestHandler, path, user, pass string, v url.Values) (int, []byte) {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod("POST")
	ctx.Request.SetRequestURI(path)
	ctx.Request.Header.SetContentType("application/x-www-form-urlencoded")
	ctx.Request.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	ctx.Request.SetBodyString(v.Encode())
	h(&ctx)
	return ctx.Response.StatusCode(), ctx.Response.Body()
}

func benchOIDC(b *testing.B) fasthttp.RequestHandler {
	b.Helper()
	a := benchApp(b, 4)
	if err := a.Seed(context.Background(), io.Discard); err != nil {
		b.Fatal(err)
	}
	return a.HTTP().Handler()
}

func ccToken(b *testing.B, h fasthttp.RequestHandler) string {
	b.Helper()
	status, body := form(h, "/oidc/token", "data-api-001", "data_secret_api_2024", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != 200 || json.Unmarshal(body, &tok) != nil {
		b.Fatalf("client_credentials: %d %s", status, body)
	}
	return tok.AccessToken
}

// BenchmarkOIDCClientCredentials measures a client_credentials token
// response (ES256 JWT, cached client and secret) through Fiber in process.
func BenchmarkOIDCClientCredentials(b *testing.B) {
	h := benchOIDC(b)
	ccToken(b, h)
	b.ResetTimer()
	for b.Loop() {
		if status, body := form(h, "/oidc/token", "data-api-001", "data_secret_api_2024", url.Values{"grant_type": {"client_credentials"}, "scope": {"api:read"}}); status != 200 {
			b.Fatalf("%d %s", status, body)
		}
	}
}

// BenchmarkOIDCIntrospection measures introspecting an access token.
func BenchmarkOIDCIntrospection(b *testing.B) {
	h := benchOIDC(b)
	tok := ccToken(b, h)
	b.ResetTimer()
	for b.Loop() {
		if status, body := form(h, "/oidc/introspect", "data-api-001", "data_secret_api_2024", url.Values{"token": {tok}}); status != 200 {
			b.Fatalf("%d %s", status, body)
		}
	}
}

// BenchmarkOIDCRefresh measures refresh-token rotation (one durable
// transaction per refresh) with an RS256 ID token.
func BenchmarkOIDCRefresh(b *testing.B) {
	h := benchOIDC(b)
	rt := benchRefreshToken(b, h)
	b.ResetTimer()
	for b.Loop() {
		status, body := form(h, "/oidc/token", "acme-portal-001", "acme_secret_portal_2024", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		var tok struct {
			RefreshToken string `json:"refresh_token"`
		}
		if status != 200 || json.Unmarshal(body, &tok) != nil {
			b.Fatalf("%d %s", status, body)
		}
		rt = tok.RefreshToken
	}
}

// BenchmarkOIDCUserinfo measures /userinfo with a JWT access token.
func BenchmarkOIDCUserinfo(b *testing.B) {
	h := benchOIDC(b)
	rt := benchRefreshToken(b, h)
	status, body := form(h, "/oidc/token", "acme-portal-001", "acme_secret_portal_2024", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != 200 || json.Unmarshal(body, &tok) != nil {
		b.Fatalf("%d %s", status, body)
	}
	b.ResetTimer()
	for b.Loop() {
		if status, body := do(h, "GET", "/oidc/userinfo", tok.AccessToken, ""); status != 200 {
			b.Fatalf("%d %s", status, body)
		}
	}
}

// benchRefreshToken gets a refresh token for bob through the core (the
// hosted login is exercised by the end-to-end tests).
func benchRefreshToken(b *testing.B, h fasthttp.RequestHandler) string {
	b.Helper()
	b.Skip("needs a login in process; see bench/oidcload for refresh and userinfo")
	_ = provider.HashToken
	return ""
}
