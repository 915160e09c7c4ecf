package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/secuird/adapters/mail"
	"github.com/secuird/secuird/app"
)

// browserTool finds Chromium, node and the test script's playwright-core
// (installed by .ci/run). It skips the test when one is missing, unless
// SECUIRD_TEST_REQUIRE_BROWSER=1.
func browserTool(t *testing.T) (chromium, dir string) {
	t.Helper()
	dir, _ = filepath.Abs(filepath.Join("testdata", "browser"))
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium, _ = exec.LookPath("chromium")
	}
	_, nodeErr := exec.LookPath("node")
	_, pwErr := os.Stat(filepath.Join(dir, "node_modules", "playwright-core"))
	if chromium == "" || nodeErr != nil || pwErr != nil {
		if os.Getenv("SECUIRD_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser test tools missing: chromium %q, node %v, playwright-core %v", chromium, nodeErr, pwErr)
		}
		t.Skip("chromium, node or playwright-core (app/testdata/browser) not installed")
	}
	return chromium, dir
}

// startLocalhost starts a seeded server whose public URL names localhost
// (WebAuthn refuses IP addresses as relying party IDs).
func startLocalhost(t *testing.T) *server {
	t.Helper()
	cfg, err := app.Load(func(k string) string {
		if k == "SECUIRD_ENV" {
			return "test"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg.PublicURL = "http://localhost:" + port
	rec := mail.NewRecorder()
	a, err := app.New(context.Background(), cfg, app.WithMailSender(rec), app.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = a.Close()
	})
	if err := a.Seed(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	return &server{url: cfg.PublicURL, mail: rec, logs: &syncBuffer{}, app: a}
}

// TestBrowserHostedPasskeyLogin runs web/static/js/passkey.js in Chromium
// with a DevTools virtual authenticator: password, then the passkey
// button, then the authorization response with amr pwd hwk mfa.
func TestBrowserHostedPasskeyLogin(t *testing.T) {
	t.Parallel()
	chromium, dir := browserTool(t)
	s := startLocalhost(t)
	p, err := gooidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, RedirectURL: portalRedirect, Scopes: []string{gooidc.ScopeOpenID},
		Endpoint: p.Endpoint()}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-browser", oauth2.S256ChallengeOption(verifier))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "passkey_login.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SECUIRD_URL="+s.url, "SECUIRD_TOKEN="+s.loginAPI(t, bobEmail, bobPassword), "AUTH_URL="+authURL,
		"EMAIL="+bobEmail, "PASSWORD="+bobPassword, "REDIRECT="+portalRedirect, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	loc, err := url.Parse(lines[len(lines)-1])
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st-browser" {
		t.Fatalf("authorization response: %s", out)
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
	if strings.Join(cl.AMR, " ") != "pwd hwk mfa" {
		t.Fatalf("amr %v, want pwd hwk mfa", cl.AMR)
	}
}

// screenshotDir is where the browser tests save screenshots: the test's
// temp dir, or SECUIRD_TEST_SCREENSHOTS to keep them.
func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SECUIRD_TEST_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestBrowserSecurityPage runs the hosted security page in Chromium with
// a DevTools virtual authenticator: TOTP enrolment with the manual key,
// backup codes, adding and renaming a passkey (web/static/js/passkey.js).
func TestBrowserSecurityPage(t *testing.T) {
	t.Parallel()
	chromium, dir := browserTool(t)
	s := startLocalhost(t)
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, RedirectURL: portalRedirect, Scopes: []string{gooidc.ScopeOpenID},
		Endpoint: oauth2.Endpoint{AuthURL: s.url + "/oidc/authorize"}}
	authURL := conf.AuthCodeURL("st-security", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "security_page.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SECUIRD_URL="+s.url, "AUTH_URL="+authURL, "EMAIL="+bobEmail, "PASSWORD="+bobPassword,
		"REDIRECT="+portalRedirect, "CHROMIUM="+chromium, "SHOTS="+screenshotDir(t))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "OK ") {
		t.Fatalf("browser: %s", out)
	}
}
