package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/app"
)

func TestOIDCBackchannelLogout(t *testing.T) {
	t.Parallel()
	got := make(chan string, 4)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/bc" {
			got <- r.PostFormValue("logout_token")
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer rp.Close()
	// Development mode: the receiver is on a loopback address.
	s := startOIDC(t, func(c *app.Config) { c.OIDCAllowPrivateBackchannel = true })
	ctx := context.Background()
	acmeID := s.acmeID(t)
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	cc := s.createClient(t, owner, acmeID, map[string]any{"name": "BC", "redirect_uris": []string{"http://localhost:7100/cb"},
		"scopes": []string{"openid", "profile"}, "consent_mode": "first_party", "backchannel_logout_uri": rp.URL + "/bc"})
	id := cc.Client.ClientID

	b := newRP(t, s)
	b.conf = oauth2.Config{ClientID: id, ClientSecret: cc.Secret, Endpoint: b.provider.Endpoint(), RedirectURL: "http://localhost:7100/cb", Scopes: []string{"openid"}}
	verifier := oauth2.GenerateVerifier()
	res, body := b.login(b.conf.AuthCodeURL("bc", oauth2.S256ChallengeOption(verifier)), bobEmail, bobPassword)
	tok, err := b.conf.Exchange(ctx, redirectTo(t, res, body).Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	hint, _ := tok.Extra("id_token").(string)
	idt, err := b.provider.Verifier(&gooidc.Config{ClientID: id}).Verify(ctx, hint)
	if err != nil {
		t.Fatal(err)
	}
	var idc struct {
		SID string `json:"sid"`
	}
	_ = idt.Claims(&idc)

	// A hint for the current session logs out at once (to the signed-out page).
	if res, body := b.get(s.url + "/oidc/end_session?id_token_hint=" + url.QueryEscape(hint)); res.StatusCode != http.StatusOK || !strings.Contains(body, "signed out") {
		t.Fatalf("end_session: %d %.200s", res.StatusCode, body)
	}
	var raw string
	select {
	case raw = <-got:
	case <-time.After(20 * time.Second):
		t.Fatal("no logout token was delivered")
	}
	lt, err := b.provider.Verifier(&gooidc.Config{ClientID: id}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var claims struct {
		Sub    string         `json:"sub"`
		SID    string         `json:"sid"`
		Nonce  *string        `json:"nonce"`
		JTI    string         `json:"jti"`
		Events map[string]any `json:"events"`
	}
	if err := lt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Sub != idt.Subject || claims.SID != idc.SID || claims.SID == "" || claims.Nonce != nil || claims.JTI == "" ||
		claims.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		t.Errorf("logout token claims %+v", claims)
	}
}
