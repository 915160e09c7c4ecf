package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/app"
)

// orgClaims are the claims of a login scoped to one organization.
type orgClaims struct {
	OrgID   string `json:"org_id"`
	OrgSlug string `json:"org_slug"`
	OrgName string `json:"org_name"`
	OrgRole string `json:"org_role"`
}

// TestOIDCOrganizationScope checks the "organization" scope end to end
// with go-oidc: a user of several organizations picks one on the
// selection page, a user of one gets it without a page, a user of none is
// refused with access_denied; the ID token and userinfo carry the chosen
// organization; discovery advertises the scope.
func TestOIDCOrganizationScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, configure func(*app.Config)) {
		testOrganizationScope(t, startOIDC(t, configure))
	})
}

func testOrganizationScope(t *testing.T, s *server) {
	ctx := context.Background()
	acmeID := s.acmeID(t)
	tech, err := s.app.Store().OrgBySlug(ctx, "tech-startup")
	if err != nil {
		t.Fatal(err)
	}
	data, err := s.app.Store().OrgBySlug(ctx, "data-systems")
	if err != nil {
		t.Fatal(err)
	}
	owner := s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!")
	const redirect = "http://localhost:7100/cb"
	cc := s.createClient(t, owner, acmeID, map[string]any{"name": "Org Aware App",
		"redirect_uris": []string{redirect}, "grant_types": []string{"authorization_code"},
		"scopes": []string{"openid", "profile", "email", "organization"}, "consent_mode": "first_party"})

	p, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	var disc struct {
		Scopes []string `json:"scopes_supported"`
		Claims []string `json:"claims_supported"`
	}
	if err := p.Claims(&disc); err != nil || !slices.Contains(disc.Scopes, "organization") || !slices.Contains(disc.Claims, "org_id") {
		t.Fatalf("discovery scopes %v claims %v (%v)", disc.Scopes, disc.Claims, err)
	}
	conf := oauth2.Config{ClientID: cc.Client.ClientID, ClientSecret: cc.Secret, Endpoint: p.Endpoint(), RedirectURL: redirect,
		Scopes: []string{gooidc.ScopeOpenID, "email", "organization"}}

	// signIn starts a code flow as email and returns the browser and the
	// page or redirect the password leads to.
	signIn := func(t *testing.T, email, verifier string, extra ...oauth2.AuthCodeOption) (*uiClient, page, *url.URL) {
		t.Helper()
		u := newUIClient(t, s)
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, extra...)
		login, _ := u.follow(u.getNoFollow(conf.AuthCodeURL("st-org", opts...)))
		id := hiddenID.FindStringSubmatch(login.body)
		if id == nil {
			t.Fatalf("no login form: %d\n%.400s", login.status, login.body)
		}
		next, ext := u.follow(u.postNoFollow("/oidc/login", url.Values{"id": {id[1]}, "email": {email}, "password": {"UserPass123!"}}))
		return u, next, ext
	}
	exchange := func(t *testing.T, ext *url.URL, verifier string) (orgClaims, orgClaims) {
		t.Helper()
		if ext == nil || ext.Query().Get("code") == "" || ext.Query().Get("state") != "st-org" {
			t.Fatalf("no authorization code: %v", ext)
		}
		tok, err := conf.Exchange(ctx, ext.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := p.Verifier(&gooidc.Config{ClientID: conf.ClientID}).Verify(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		var inID, inInfo orgClaims
		_ = idt.Claims(&inID)
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatal(err)
		}
		_ = ui.Claims(&inInfo)
		return inID, inInfo
	}

	t.Run("a member of several organizations chooses one", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		u, sel, ext := signIn(t, "charlie@cross-org.com", verifier)
		if ext != nil || sel.status != http.StatusOK {
			t.Fatalf("want the selection page, got %d %v", sel.status, ext)
		}
		sel.mustContain(t, "Choose an organization", "Which organization do you want to use with Org Aware App?", "Acme Corporation",
			"Tech Startup Inc", `data-test="org-tech-startup"`, `action="/oidc/org"`, "Guest", "Member")
		sel.mustNotContain(t, "Data Systems")
		id := hiddenID.FindStringSubmatch(sel.body)[1]
		// An organization the user is not in is refused and changes nothing.
		bad := u.postNoFollow("/oidc/org", url.Values{"id": {id}, "org_id": {data.ID}})
		if bad.status != http.StatusBadRequest {
			t.Fatalf("foreign organization: %d", bad.status)
		}
		bad.mustContain(t, "Choose one of your organizations.", "Tech Startup Inc")
		if q := u.postNoFollow("/oidc/org", url.Values{"id": {id}, "org_id": {tech.ID}, "csrf_token": {"forged"}}); q.status != http.StatusForbidden {
			t.Fatalf("forged token: %d", q.status)
		}
		_, ext = u.follow(u.postNoFollow("/oidc/org", url.Values{"id": {id}, "org_id": {tech.ID}}))
		inID, inInfo := exchange(t, ext, verifier)
		want := orgClaims{OrgID: tech.ID, OrgSlug: "tech-startup", OrgName: "Tech Startup Inc", OrgRole: "member"}
		if inID != want || inInfo != want {
			t.Fatalf("claims: id token %+v, userinfo %+v, want %+v", inID, inInfo, want)
		}
	})

	t.Run("prompt=none cannot choose for the user", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		u, _, _ := signIn(t, "charlie@cross-org.com", verifier)
		_, ext := u.follow(u.getNoFollow(conf.AuthCodeURL("st-none", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none"))))
		if ext == nil || ext.Query().Get("error") != "interaction_required" {
			t.Fatalf("prompt=none: %v", ext)
		}
	})

	t.Run("a member of one organization gets it without a page", func(t *testing.T) {
		verifier := oauth2.GenerateVerifier()
		_, _, ext := signIn(t, bobEmail, verifier)
		inID, inInfo := exchange(t, ext, verifier)
		want := orgClaims{OrgID: acmeID, OrgSlug: "acme-corp", OrgName: "Acme Corporation", OrgRole: "member"}
		if inID != want || inInfo != want {
			t.Fatalf("claims: id token %+v, userinfo %+v, want %+v", inID, inInfo, want)
		}
	})

	t.Run("a user without an organization is refused", func(t *testing.T) {
		_, _, ext := signIn(t, "henry@tech-startup.com", oauth2.GenerateVerifier())
		if ext == nil || ext.Query().Get("error") != "access_denied" || ext.Query().Get("state") != "st-org" ||
			!strings.Contains(ext.Query().Get("error_description"), "organization") {
			t.Fatalf("no organization: %v", ext)
		}
	})

	t.Run("without the scope nothing is asked and no org claims are issued", func(t *testing.T) {
		plain := conf
		plain.Scopes = []string{gooidc.ScopeOpenID, "email"}
		verifier := oauth2.GenerateVerifier()
		u := newUIClient(t, s)
		login, _ := u.follow(u.getNoFollow(plain.AuthCodeURL("st-org", oauth2.S256ChallengeOption(verifier))))
		id := hiddenID.FindStringSubmatch(login.body)[1]
		_, ext := u.follow(u.postNoFollow("/oidc/login", url.Values{"id": {id}, "email": {"charlie@cross-org.com"}, "password": {"UserPass123!"}}))
		inID, _ := exchange(t, ext, verifier)
		if inID != (orgClaims{}) {
			t.Fatalf("org claims without the scope: %+v", inID)
		}
	})
}

// TestUIConsentPage checks the consent page of an explicit-consent client:
// scope descriptions from the catalogue in the request's language (the
// organization chosen before consent is named), the organization's
// branding, a forged token, deny and allow.
func TestUIConsentPage(t *testing.T) {
	t.Parallel()
	s := startOIDC(t, nil)
	ctx := context.Background()
	acmeID := s.acmeID(t)
	const redirect = "http://localhost:7200/cb"
	cc := s.createClient(t, s.loginAPI(t, "admin@acme-corp.com", "AdminPass123!"), acmeID, map[string]any{
		"name": "Explicit App", "redirect_uris": []string{redirect}, "grant_types": []string{"authorization_code"},
		"scopes": []string{"openid", "email", "organization"}, "consent_mode": "explicit"})
	p, err := gooidc.NewProvider(ctx, s.url)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: cc.Client.ClientID, ClientSecret: cc.Secret, Endpoint: p.Endpoint(), RedirectURL: redirect,
		Scopes: []string{gooidc.ScopeOpenID, "email", "organization"}}
	u := newUIClient(t, s)
	consent := func(t *testing.T) page {
		t.Helper()
		pg, ext := u.follow(u.getNoFollow(conf.AuthCodeURL("st-c", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("ui_locales", "de"))))
		if ext == nil && strings.Contains(pg.body, `name="password"`) {
			id := hiddenID.FindStringSubmatch(pg.body)[1]
			pg, ext = u.follow(u.postNoFollow("/oidc/login", url.Values{"id": {id}, "email": {bobEmail}, "password": {bobPassword}}))
		}
		if ext != nil || pg.status != http.StatusOK || !strings.Contains(pg.body, `action="/oidc/consent"`) {
			t.Fatalf("want the consent page: %d %v\n%.400s", pg.status, ext, pg.body)
		}
		return pg
	}

	cp := consent(t)
	cp.mustContain(t, `lang="de"`, "Zugriff erlauben?", "Explicit App möchte auf Ihr Konto (bob@acme-corp.com) zugreifen.",
		"Ihre E-Mail-Adresse", "Die Organisation, mit der Sie sich anmelden, und Ihre Rolle darin",
		"Ihre Mitgliedschaft in der Organisation acme-corp", `class="org-name">Acme Corporation<`, "Erlauben", "Ablehnen")
	id := hiddenID.FindStringSubmatch(cp.body)[1]
	if q := u.postNoFollow("/oidc/consent", url.Values{"id": {id}, "action": {"approve"}, "csrf_token": {"forged"}}); q.status != http.StatusForbidden {
		t.Fatalf("forged token: %d", q.status)
	}
	_, ext := u.follow(u.postNoFollow("/oidc/consent", url.Values{"id": {id}, "action": {"deny"}}))
	if ext == nil || ext.Query().Get("error") != "access_denied" || ext.Query().Get("state") != "st-c" {
		t.Fatalf("deny: %v", ext)
	}
	cp = consent(t)
	id = hiddenID.FindStringSubmatch(cp.body)[1]
	_, ext = u.follow(u.postNoFollow("/oidc/consent", url.Values{"id": {id}, "action": {"approve"}}))
	if ext == nil || ext.Query().Get("code") == "" {
		t.Fatalf("allow: %v", ext)
	}
}
