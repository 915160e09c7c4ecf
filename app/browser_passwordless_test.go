package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// claimRP is a relying party on localhost for one code flow: AuthURL
// starts it, /callback redeems the code with go-oidc, keeps the ID token's
// claims and shows "RP OK".
type claimRP struct {
	Redirect, AuthURL string
	mu                sync.Mutex
	claims            map[string]any
	err               error
}

// startClaimRP registers a first-party client of Acme Corporation with
// scopes and starts its relying party.
func startClaimRP(t *testing.T, s *browserServer, scopes []string) *claimRP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	rp := &claimRP{Redirect: "http://localhost:" + port + "/callback"}
	acme, err := s.app.Store().OrgBySlug(t.Context(), "acme-corp")
	if err != nil {
		t.Fatal(err)
	}
	r := s.call(t, "POST", "/api/v1/organizations/"+acme.ID+"/clients", s.loginAPI(t, acmeOwnerEmail, acmeOwnerPassword), map[string]any{
		"name": "Claims App", "redirect_uris": []string{rp.Redirect}, "grant_types": []string{"authorization_code"},
		"scopes": scopes, "consent_mode": "first_party"})
	expect(t, r, 201, "")
	var cc createdClient
	r.data(t, &cc)
	p, err := gooidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: cc.Client.ClientID, ClientSecret: cc.Secret, RedirectURL: rp.Redirect, Scopes: scopes, Endpoint: p.Endpoint()}
	verifier := oauth2.GenerateVerifier()
	rp.AuthURL = conf.AuthCodeURL("st-claims", oauth2.S256ChallengeOption(verifier))
	mux := http.NewServeMux()
	mux.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		claims, err := func() (map[string]any, error) {
			if r.URL.Query().Get("state") != "st-claims" {
				return nil, fmt.Errorf("callback %s", r.URL.RawQuery)
			}
			tok, err := conf.Exchange(r.Context(), r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				return nil, err
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := p.Verifier(&gooidc.Config{ClientID: conf.ClientID}).Verify(r.Context(), raw)
			if err != nil {
				return nil, err
			}
			var m map[string]any
			return m, idt.Claims(&m)
		}()
		rp.mu.Lock()
		rp.claims, rp.err = claims, err
		rp.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			http.Error(w, "RP FAIL "+err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "<!doctype html><html lang=en><title>RP</title><main><h1>RP OK</h1></main></html>")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return rp
}

// idClaims returns the ID token claims the RP received.
func (rp *claimRP) idClaims(t *testing.T) map[string]any {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.err != nil || rp.claims == nil {
		t.Fatalf("the RP got no ID token: %v", rp.err)
	}
	return rp.claims
}

// TestBrowserPasswordless is the passwordless scenario of issues 6 and 7
// in Chromium (app/testdata/browser/passwordless.mjs): a passkey added on
// the security page signs in without a password or an email, by the
// sign-in page's button (an OIDC request, whose ID token must say hwk or
// swk with mfa: user verification was required) and by autofill.
func TestBrowserPasswordless(t *testing.T) {
	t.Parallel()
	s := startBrowserServer(t)
	rp := startClaimRP(t, s, []string{gooidc.ScopeOpenID, "email"})
	runScenario(t, s, "passwordless.mjs", "EMAIL="+bobEmail, "PASSWORD="+bobPassword, "AUTH_URL="+rp.AuthURL, "REDIRECT="+rp.Redirect)
	cl := rp.idClaims(t)
	var amr []string
	if l, ok := cl["amr"].([]any); ok {
		for _, v := range l {
			s, _ := v.(string)
			amr = append(amr, s)
		}
	}
	if !slices.Equal(amr, []string{"hwk", "mfa"}) && !slices.Equal(amr, []string{"swk", "mfa"}) {
		t.Fatalf("amr %v, want hwk or swk with mfa", amr)
	}
	if cl["email"] != bobEmail {
		t.Fatalf("email %v", cl["email"])
	}
}

// TestBrowserOrgSelection runs the organization selection page in
// Chromium (app/testdata/browser/org_select.mjs): an org-branded sign-in,
// the choice between two organizations, and the ID token's org claims.
func TestBrowserOrgSelection(t *testing.T) {
	t.Parallel()
	s := startBrowserServer(t)
	rp := startClaimRP(t, s, []string{gooidc.ScopeOpenID, "organization"})
	runScenario(t, s, "org_select.mjs", "AUTH_URL="+rp.AuthURL, "EMAIL=charlie@cross-org.com", "PASSWORD="+seedUserPassword,
		"REDIRECT="+rp.Redirect, "ORG_NAME=Tech Startup Inc", "CLIENT_ORG=Acme Corporation")
	cl := rp.idClaims(t)
	if cl["org_slug"] != "tech-startup" || cl["org_name"] != "Tech Startup Inc" || cl["org_role"] != "member" || cl["org_id"] == "" {
		t.Fatalf("org claims %v", cl)
	}
}
