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

// browserTool finds Chromium, node and the scripts' npm packages
// (playwright-core, axe-core; installed by .ci/run). It skips the test when one is missing, unless
// SECUIRD_TEST_REQUIRE_BROWSER=1.
func browserTool(t *testing.T) (chromium, dir string) {
	t.Helper()
	dir, _ = filepath.Abs(filepath.Join("testdata", "browser"))
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "chromium"
	}
	chromium, _ = exec.LookPath(chromium)
	_, nodeErr := exec.LookPath("node")
	_, pwErr := os.Stat(filepath.Join(dir, "node_modules", "playwright-core"))
	_, axeErr := os.Stat(filepath.Join(dir, "node_modules", "axe-core"))
	if chromium == "" || nodeErr != nil || pwErr != nil || axeErr != nil {
		if os.Getenv("SECUIRD_TEST_REQUIRE_BROWSER") == "1" {
			t.Fatalf("browser test tools missing: chromium %q, node %v, playwright-core %v, axe-core %v", chromium, nodeErr, pwErr, axeErr)
		}
		t.Skip("chromium, node or the npm packages of app/testdata/browser (npm ci there) not installed")
	}
	return chromium, dir
}

// startLocalhost starts a seeded server whose public URL names localhost
// (WebAuthn refuses IP addresses as relying party IDs); its mail goes to a
// mail.Recorder.
func startLocalhost(t *testing.T, configure ...func(*app.Config)) *server {
	t.Helper()
	return startLocal(t, false, configure...).server
}

// browserServer is a seeded server on localhost whose mail the file
// provider writes to mailDir (one .eml per message), where the browser
// scenarios read it as a person reads their inbox.
type browserServer struct {
	*server
	mailDir string
}

// startBrowserServer starts a seeded localhost server with the file mail
// provider; configure adjusts the configuration first.
func startBrowserServer(t *testing.T, configure ...func(*app.Config)) *browserServer {
	t.Helper()
	browserTool(t) // skip before starting anything
	return startLocal(t, true, configure...)
}

// startLocal starts a seeded server on localhost: with fileMail its mail
// goes through the outbox to the file provider, else to a recorder.
func startLocal(t *testing.T, fileMail bool, configure ...func(*app.Config)) *browserServer {
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
	var mailDir string
	if fileMail {
		mailDir = filepath.Join(t.TempDir(), "mail")
		cfg.Email.Provider = app.ProviderFile
		cfg.Email.FileDir = mailDir
	}
	for _, f := range configure {
		f(&cfg)
	}
	logs := &syncBuffer{}
	opts := []app.Option{app.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))}
	var rec *mail.Recorder
	if !fileMail {
		rec = mail.NewRecorder()
		opts = append(opts, app.WithMailSender(rec))
	}
	a, err := app.New(context.Background(), cfg, opts...)
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
	return &browserServer{server: &server{url: cfg.PublicURL, mail: rec, logs: logs, app: a}, mailDir: mailDir}
}

// screenshotDir is where the browser scenarios save screenshots:
// SECUIRD_SCREENSHOTS (relative to app/, e.g. testdata/browser/screenshots,
// which git ignores) to keep them, else a folder in the test's temp dir.
func screenshotDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("SECUIRD_SCREENSHOTS")
	if d == "" {
		d = os.Getenv("SECUIRD_TEST_SCREENSHOTS")
	}
	if d == "" {
		return filepath.Join(t.TempDir(), "screenshots")
	}
	abs, err := filepath.Abs(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		t.Fatal(err)
	}
	return abs
}

// runScenario runs the node script in app/testdata/browser against s with
// the shared environment of lib.mjs (SECUIRD_URL, CHROMIUM,
// SECUIRD_SCREENSHOTS, SCENARIO = the test's name, MAIL_DIR) plus extra
// KEY=value pairs, and fails the test with the script's output unless it
// ends well ("OK"). It returns the output.
func runScenario(t *testing.T, s *browserServer, script string, extra ...string) string {
	t.Helper()
	chromium, dir := browserTool(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	name := strings.NewReplacer("/", "_", " ", "_").Replace(strings.TrimPrefix(t.Name(), "TestBrowser"))
	cmd.Env = append(os.Environ(), "SECUIRD_URL="+s.url, "CHROMIUM="+chromium, "SECUIRD_SCREENSHOTS="+screenshotDir(t),
		"SCENARIO="+name, "MAIL_DIR="+s.mailDir)
	cmd.Env = append(cmd.Env, extra...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "\nOK ") && !strings.HasPrefix(string(out), "OK ") {
		t.Fatalf("browser scenario %s: %v\n%s\nserver log:\n%s", script, err, out, s.logs.String())
	}
	t.Logf("%s", out)
	return string(out)
}

// TestBrowserHostedPasskeyLogin runs web/static/js/passkey.js in Chromium
// with a DevTools virtual authenticator: password, then the passkey
// button, then the authorization response with amr pwd hwk mfa.
func TestBrowserHostedPasskeyLogin(t *testing.T) {
	t.Parallel()
	s := startBrowserServer(t)
	p, err := gooidc.NewProvider(t.Context(), s.url)
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: portalID, ClientSecret: portalSecret, RedirectURL: portalRedirect, Scopes: []string{gooidc.ScopeOpenID},
		Endpoint: p.Endpoint()}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st-browser", oauth2.S256ChallengeOption(verifier))
	out := runScenario(t, s, "passkey_login.mjs", "SECUIRD_TOKEN="+s.loginAPI(t, bobEmail, bobPassword), "AUTH_URL="+authURL,
		"EMAIL="+bobEmail, "PASSWORD="+bobPassword, "REDIRECT="+portalRedirect)
	var loc *url.URL
	for _, line := range strings.Split(out, "\n") {
		if u, ok := strings.CutPrefix(line, "REDIRECT "); ok {
			loc, err = url.Parse(strings.TrimSpace(u))
		}
	}
	if loc == nil || err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st-browser" {
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

// TestBrowserSecurityPage runs the hosted security page in Chromium with
// a DevTools virtual authenticator: TOTP enrolment with the manual key,
// backup codes, adding and renaming a passkey (web/static/js/passkey.js).
func TestBrowserSecurityPage(t *testing.T) {
	t.Parallel()
	s := startBrowserServer(t)
	runScenario(t, s, "security_page.mjs", "EMAIL="+bobEmail, "PASSWORD="+bobPassword)
}
