package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/url"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/secuird/secuird/app"
	"github.com/secuird/secuird/core/audit"
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
	_, h := benchOIDCApp(b)
	return h
}

func benchOIDCApp(b *testing.B) (*app.App, fasthttp.RequestHandler) {
	b.Helper()
	a := benchApp(b, 4)
	if err := a.Seed(context.Background(), io.Discard); err != nil {
		b.Fatal(err)
	}
	return a, a.HTTP().Handler()
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
	a, h := benchOIDCApp(b)
	rt := benchRefreshToken(b, a)
	b.ResetTimer()
	for b.Loop() {
		rt, _ = benchRefresh(b, h, rt)
	}
}

// BenchmarkOIDCUserinfo measures /userinfo with a JWT access token.
func BenchmarkOIDCUserinfo(b *testing.B) {
	a, h := benchOIDCApp(b)
	_, at := benchRefresh(b, h, benchRefreshToken(b, a))
	b.ResetTimer()
	for b.Loop() {
		if status, body := do(h, "GET", "/oidc/userinfo", at, ""); status != 200 {
			b.Fatalf("%d %s", status, body)
		}
	}
}

// benchRefresh rotates rt and returns the new refresh and access tokens.
func benchRefresh(b *testing.B, h fasthttp.RequestHandler, rt string) (string, string) {
	status, body := form(h, "/oidc/token", "acme-portal-001", "acme_secret_portal_2024", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	var tok struct {
		RefreshToken string `json:"refresh_token"`
		AccessToken  string `json:"access_token"`
	}
	if status != 200 || json.Unmarshal(body, &tok) != nil {
		b.Fatalf("refresh: %d %s", status, body)
	}
	return tok.RefreshToken, tok.AccessToken
}

// benchRefreshToken starts a refresh family for bob through the core, as
// a finished code exchange would (the hosted login is exercised by the
// end-to-end tests and by bench/oidcload).
func benchRefreshToken(b *testing.B, a *app.App) string {
	b.Helper()
	ctx := context.Background()
	u, err := a.Store().UserByEmail(ctx, "bob@acme-corp.com")
	if err != nil {
		b.Fatal(err)
	}
	c, err := a.Provider.Client(ctx, "acme-portal-001")
	if err != nil {
		b.Fatal(err)
	}
	rt, err := a.Provider.IssueRefreshToken(ctx, c, provider.Grant{ClientID: c.ClientID, Subject: u.ID, SessionID: "bench",
		Scopes: []string{"openid", "profile", "email", "offline_access"}, AMR: []string{"pwd"}, AuthTime: time.Now(),
		FamilyID: "bench-family"}, audit.Source{})
	if err != nil || rt == "" {
		b.Fatalf("refresh token: %q %v", rt, err)
	}
	return rt
}
