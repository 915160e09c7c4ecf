package app_test

import (
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestBrowserPasswordless is the passwordless scenario of issues 6 and 7
// in Chromium (app/testdata/browser/passwordless.mjs): a passkey added on
// the security page signs in without a password or an email, by the
// sign-in page's button (an OIDC request, whose ID token must say hwk or
// swk with mfa: user verification was required) and by autofill.
func TestBrowserPasswordless(t *testing.T) {
	t.Parallel()
	s := startBrowserServer(t)
	p, err := gooidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, RedirectURL: portalRedirect, Scopes: []string{gooidc.ScopeOpenID},
		Endpoint: p.Endpoint()}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-passwordless", oauth2.S256ChallengeOption(verifier))
	out := runScenario(t, s, "passwordless.mjs", "EMAIL="+bobEmail, "PASSWORD="+bobPassword, "AUTH_URL="+authURL, "REDIRECT="+portalRedirect)
	var loc *url.URL
	for _, line := range strings.Split(out, "\n") {
		if u, ok := strings.CutPrefix(line, "REDIRECT "); ok {
			loc, err = url.Parse(strings.TrimSpace(u))
		}
	}
	if err != nil || loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st-passwordless" {
		t.Fatalf("authorization response: %v %v\n%s", loc, err, out)
	}
	tok, err := conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{ClientID: portalID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var cl struct {
		AMR []string `json:"amr"`
	}
	_ = idt.Claims(&cl)
	if got := strings.Join(cl.AMR, " "); got != "hwk mfa" && got != "swk mfa" {
		t.Fatalf("amr %v, want hwk or swk with mfa", cl.AMR)
	}
}

// TestBrowserOrgSelection runs the organization selection page in
// Chromium (app/testdata/browser/org_select.mjs): an org-branded sign-in,
// the choice between two organizations, and the ID token's org claims.
func TestBrowserOrgSelection(t *testing.T) {
	t.Parallel()
	s := startBrowserServer(t)
	acme, err := s.app.Store().OrgBySlug(t.Context(), "acme-corp")
	if err != nil {
		t.Fatal(err)
	}
	const redirect = "http://localhost:7100/cb"
	r := s.call(t, "POST", "/api/v1/organizations/"+acme.ID+"/clients", s.loginAPI(t, acmeOwnerEmail, acmeOwnerPassword), map[string]any{
		"name": "Org Aware App", "redirect_uris": []string{redirect}, "grant_types": []string{"authorization_code"},
		"scopes": []string{"openid", "organization"}, "consent_mode": "first_party"})
	expect(t, r, 201, "")
	var cc createdClient
	r.data(t, &cc)
	p, err := gooidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: cc.Client.ClientID, ClientSecret: cc.Secret, RedirectURL: redirect,
		Scopes: []string{gooidc.ScopeOpenID, "organization"}, Endpoint: p.Endpoint()}
	verifier := oauth2.GenerateVerifier()
	out := runScenario(t, s, "org_select.mjs", "AUTH_URL="+conf.AuthCodeURL("st-org", oauth2.S256ChallengeOption(verifier)),
		"EMAIL=charlie@cross-org.com", "PASSWORD="+seedUserPassword, "REDIRECT="+redirect, "ORG_NAME=Tech Startup Inc",
		"CLIENT_ORG=Acme Corporation")
	var loc *url.URL
	for _, line := range strings.Split(out, "\n") {
		if u, ok := strings.CutPrefix(line, "REDIRECT "); ok {
			loc, err = url.Parse(strings.TrimSpace(u))
		}
	}
	if err != nil || loc == nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorization response: %v %v\n%s", loc, err, out)
	}
	tok, err := conf.Exchange(t.Context(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&gooidc.Config{ClientID: conf.ClientID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatal(err)
	}
	var cl orgClaims
	_ = idt.Claims(&cl)
	if cl.OrgSlug != "tech-startup" || cl.OrgName != "Tech Startup Inc" || cl.OrgRole != "member" || cl.OrgID == "" {
		t.Fatalf("org claims %+v", cl)
	}
}
